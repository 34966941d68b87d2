#!/usr/bin/env python3
"""Validates a FHIR R4 Bundle with the independent fhir.resources R4B models.

Usage: validate_fhir.py BUNDLE.json  — prints "valid N entries" or the validation error; exit 1 when invalid.
"""
import sys

from fhir.resources.R4B.bundle import Bundle

try:
    with open(sys.argv[1], encoding="utf-8") as handle:
        bundle = Bundle.model_validate_json(handle.read())
except Exception as error:  # the validator's own message is the useful part
    print(f"invalid: {error}")
    sys.exit(1)
print(f"valid {len(bundle.entry or [])} entries")
