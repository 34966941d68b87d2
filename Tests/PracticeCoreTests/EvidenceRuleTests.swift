import Testing
@testable import PracticeCore

@Suite("Evidence rules", .timeLimit(.minutes(5)))
struct EvidenceRuleTests {
    static let today = try! CalendarDate(parsing: "2026-11-25")

    @Test("pain duration at the 6- and 12-week boundaries",
          arguments: [(0, PainDuration.acute), (41, .acute), (42, .subAcute), (83, .subAcute), (84, .chronic), (900, .chronic)])
    func painDuration(daysAgo: Int, expected: PainDuration) {
        let onset = Self.today.adding(days: -daysAgo)
        #expect(PainDuration.classify(onset: onset, asOf: Self.today, policy: .cochrane2015) == expected)
    }

    @Test func painDurationFollowsThePracticePolicy() {
        var policy = EvidencePolicy()
        policy.acuteWeeks = 4
        policy.chronicWeeks = 8
        #expect(PainDuration.classify(onset: Self.today.adding(days: -28), asOf: Self.today, policy: policy) == .subAcute)
        #expect(PainDuration.classify(onset: Self.today.adding(days: -56), asOf: Self.today, policy: policy) == .chronic)
    }

    @Test("8-minute rule units", arguments: [(0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (60, 4), (68, 5)])
    func billingUnits(minutes: Int, units: Int) {
        #expect(BillingUnits.units(minutes: minutes) == units)
    }

    @Test func defaultPolicyIsTheReviewsNumbers() throws {
        let policy = EvidencePolicy.cochrane2015
        #expect(policy.acuteWeeks == 6 && policy.chronicWeeks == 12)
        #expect(policy.minVisitsPerWeek == 1 && policy.maxVisitsPerWeek == 2)
        #expect(policy.sporadicGapDays == 14 && policy.courseCapSessions == 10)
        #expect(policy.noImprovementSessions == 6 && policy.noImprovementFirmSessions == 8)
        #expect(policy.monthlyReductionPercent == 30 && policy.maxDiscomfort == 5)
        #expect(policy.sessionMinMinutes == 30 && policy.sessionMaxMinutes == 60)
        #expect(policy.reliefEarly == 0.5...1.0 && policy.reliefMid == 1.5...2.5)
        try policy.validate()
    }

    @Test func inconsistentPolicyIsRefused() {
        var policy = EvidencePolicy()
        policy.chronicWeeks = 6
        #expect(throws: PracticeError.invalid(field: "chronic-weeks", reason: "must be more than acute-weeks (6)")) {
            try policy.validate()
        }
    }

    @Test func everyRuleNamesItsSource() {
        for rule in EvidenceRule.allCases { #expect(!rule.source.isEmpty) }
    }
}

@Suite("Red-flag screening", .timeLimit(.minutes(5)))
struct ScreeningTests {
    func screening(_ id: Int64, flag: Bool, night: Bool? = nil, leg: Bool? = nil) -> Screening {
        Screening(id: id, clientID: 1, answers: ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false,
                                                                 cancerOrMajorTrauma: flag, nightPain: night, legNumbness: leg),
                  screenedBy: nil, screenedAt: "2026-11-25T10:00:00Z")
    }

    @Test func gate() throws {
        #expect(ScreeningState.from(latest: nil, clearance: nil) == .notScreened)
        #expect(!ScreeningState.from(latest: nil, clearance: nil).mayBook)
        #expect(ScreeningState.from(latest: screening(1, flag: false), clearance: nil).mayBook)
        let flagged = ScreeningState.from(latest: screening(2, flag: true), clearance: nil)
        #expect(!flagged.mayBook)
        #expect(flagged.summary.contains("history of cancer or recent major trauma"))
        let clearance = Clearance(id: 9, clientID: 1, screeningID: 2, providerID: 3,
                                  clearedOn: try CalendarDate(parsing: "2026-11-20"), note: nil)
        #expect(ScreeningState.from(latest: screening(2, flag: true), clearance: clearance).mayBook)
        // A clearance for an older screening does not lift a newer red flag.
        #expect(!ScreeningState.from(latest: screening(5, flag: true), clearance: clearance).mayBook)
    }

    @Test func everyRedFlagQuestionCounts() {
        let answers = [
            ScreeningAnswers(weightLossOrFever: true, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: false),
            ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: true, cancerOrMajorTrauma: false),
            ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: true),
        ]
        for answer in answers { #expect(answer.hasRedFlag && answer.redFlags.count == 1) }
        #expect(!ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false, cancerOrMajorTrauma: false,
                                  nightPain: true, legNumbness: true).hasRedFlag)
    }

    @Test func acuteWarningIsStrongerWithNightPainOrLegNumbness() throws {
        #expect(acutePainWarning(duration: .chronic, answers: nil) == nil)
        let plain = try #require(acutePainWarning(duration: .acute, answers: nil))
        #expect(plain.code == .acutePain && plain.rule == .acutePain && plain.message.contains("medical evaluation first"))
        let sharp = try #require(acutePainWarning(duration: .acute, answers: screening(1, flag: false, night: true).answers))
        #expect(sharp.code == .acutePainSharp && sharp.message.contains("night pain") && sharp.message.contains("before massage"))
    }
}

@Suite("Input validation", .timeLimit(.minutes(5)))
struct ValidationTests {
    @Test("NPI check digit", arguments: [("1234567893", true), ("1234567890", false), ("123456789", false),
                                         ("3234567893", false), ("12345678a3", false)])
    func npi(_ text: String, valid: Bool) {
        #expect(((try? NPI.validate(text)) != nil) == valid)
    }

    @Test func clientDatesAreChecked() throws {
        let today = try CalendarDate(parsing: "2026-11-25")
        let dob = try CalendarDate(parsing: "1980-04-12")
        #expect(throws: PracticeError.invalid(field: "--pain-onset", reason: "2026-11-26 is in the future")) {
            try NewClient(name: "A", dateOfBirth: dob, painOnset: today.adding(days: 1), today: today)
        }
        #expect(throws: PracticeError.invalid(field: "--pain-onset", reason: "1970-01-01 is before the date of birth 1980-04-12")) {
            try NewClient(name: "A", dateOfBirth: dob, painOnset: try CalendarDate(parsing: "1970-01-01"), today: today)
        }
        #expect(throws: PracticeError.invalid(field: "--name", reason: "must not be empty")) {
            try NewClient(name: "  ", dateOfBirth: dob, painOnset: today, today: today)
        }
        #expect(throws: PracticeError.self) {
            try NewClient(name: "A", dateOfBirth: dob, painOnset: today, email: "not-an-email", today: today)
        }
        let ok = try NewClient(name: "  Zoë Ångström-Núñez ", dateOfBirth: dob, painOnset: today, today: today)
        #expect(ok.name == "Zoë Ångström-Núñez")
    }

    @Test func staffYearsAreInRange() {
        #expect(throws: PracticeError.self) { try NewStaffMember(name: "A", role: .therapist, mskYears: -1) }
        #expect(throws: PracticeError.self) { try NewStaffMember(name: "A", role: .therapist, mskYears: 81) }
        #expect(StaffRole(cliName: "front-desk") == .frontDesk)
    }
}
