// The generated client lives in the build; this file gives the target a source.
