/// CMS's 8-minute rule for timed codes such as CPT 97124 and 97140: a unit is 15 minutes, and a
/// remainder of 8 minutes or more counts as one more unit. Under 8 minutes bills nothing.
public enum BillingUnits {
    public static func units(minutes: Int) -> Int {
        guard minutes >= 8 else { return 0 }
        return (minutes + 7) / 15
    }
}
