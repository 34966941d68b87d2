import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeReports
import PracticeStore

/// A realistic practice to explore: three therapists, a front desk, 22 clients with acute,
/// sub-acute and chronic pain, two red-flag screenings (one cleared), providers, and a few weeks
/// of completed sessions with pain scores, pressure feedback, signed notes and letters.
/// Dates are relative to today, so the rules have something current to say.
///
/// Everything goes through the same use cases the front desk and therapists call (`UnitOfWork`),
/// so every rule and every audit event applies to it: past visits are booked with `past` and
/// completed, which stamps them at their own time.
public enum DemoPractice {
    public static let name = "Riverside Back Care (demo)"
    public static let timeZone = "America/New_York"

    public struct Summary: Sendable, Codable {
        public var practiceID: Int64
        public var practiceName: String
        public var created: Bool
        public var staff: Int
        public var therapists: Int
        public var providers: Int
        public var clients: Int
        public var acute: Int
        public var subAcute: Int
        public var chronic: Int
        public var redFlags: Int
        public var redFlagsCleared: Int
        public var completedSessions: Int
        public var painReports: Int
        public var pressureFeedback: Int
        public var signedNotes: Int
        public var referralLetters: Int
        public var series: Int = 0
        public var upcomingVisits: Int = 0
        public var nextWeek: String = ""
    }

    /// Creates the demo practice unless it is already there; either way returns what it holds.
    /// The practice and everything in it go in one transaction: a run cut short leaves nothing.
    public static func seed(_ database: PracticeDatabase, clock: ServiceClock = .database) async throws -> Summary {
        let logger = database.logger
        let context = ServiceContext(actorLabel: "demo", clock: clock)
        let practiceID: Int64 = try await database.transaction { connection in
            // Serialise concurrent `practice demo` runs so that two never both create it.
            try await connection.run("SELECT pg_advisory_xact_lock(6277243, 2)", logger: logger)
            try await connection.setActor(context.actor, logger: logger)
            if let existing = try await Practices.find(named: name, on: connection, logger: logger) { return -existing.id }
            // Creating the practice scopes the rest of this transaction to it.
            let practice = try await Practices.create(name: name, timeZone: timeZone, on: connection, logger: logger)
            let instant = try await context.clock.instant(on: connection, logger: logger)
            let unit = UnitOfWork(connection: connection, practice: practice,
                                  now: PracticeNow(instant: instant, timeZone: practice.timeZone), context: context, logger: logger)
            let therapists = try await populate(unit)
            try await bookAhead(unit, therapists: therapists)
            return practice.id
        }
        let service = PracticeService(database: database,
                                      context: ServiceContext(practiceID: abs(practiceID), actorLabel: "demo", clock: clock))
        return try await service.read { try await summary(of: $0, created: practiceID > 0) }
    }

    enum Course {
        case none, single, weekly, twiceWeeklyImproving, sporadic, noImprovement, noImprovementLong, courseCap, overScheduled
    }

    struct DemoClient {
        var name: String
        var dob: String
        var onsetDaysAgo: Int
        var course: Course
        var redFlag: Bool = false
        var nightPain: Bool = false
    }

    static let clients: [DemoClient] = [
        .init(name: "Ana Ruiz", dob: "1980-04-12", onsetDaysAgo: 200, course: .twiceWeeklyImproving),
        .init(name: "Ben Okoro", dob: "1975-09-30", onsetDaysAgo: 400, course: .weekly),
        .init(name: "Chloé Martin", dob: "1991-01-22", onsetDaysAgo: 70, course: .twiceWeeklyImproving),
        .init(name: "David Kim", dob: "1968-06-05", onsetDaysAgo: 900, course: .noImprovement),
        .init(name: "Erin Walsh", dob: "1985-11-17", onsetDaysAgo: 150, course: .sporadic),
        .init(name: "Farid Haddad", dob: "1972-03-08", onsetDaysAgo: 365, course: .courseCap),
        .init(name: "Grace Liu", dob: "1995-07-14", onsetDaysAgo: 20, course: .single, nightPain: true),
        .init(name: "Hugo Schmidt", dob: "1959-12-01", onsetDaysAgo: 60, course: .none, redFlag: true),
        .init(name: "Ines Costa", dob: "1988-02-29", onsetDaysAgo: 120, course: .overScheduled),
        .init(name: "Jamal Wright", dob: "1979-10-10", onsetDaysAgo: 500, course: .weekly),
        .init(name: "Keiko Tanaka", dob: "1983-05-21", onsetDaysAgo: 95, course: .twiceWeeklyImproving, redFlag: true),
        .init(name: "Liam O'Connor", dob: "1990-08-03", onsetDaysAgo: 30, course: .none),
        .init(name: "Maria Rossi", dob: "1964-04-27", onsetDaysAgo: 1500, course: .noImprovementLong),
        .init(name: "Noah Fischer", dob: "1998-12-12", onsetDaysAgo: 50, course: .twiceWeeklyImproving),
        .init(name: "Olivia Brown", dob: "1977-06-18", onsetDaysAgo: 260, course: .sporadic),
        .init(name: "Pedro Alves", dob: "1970-01-09", onsetDaysAgo: 88, course: .weekly),
        .init(name: "Quinn Murphy", dob: "1993-03-30", onsetDaysAgo: 10, course: .none),
        .init(name: "Rosa Delgado", dob: "1981-09-15", onsetDaysAgo: 730, course: .twiceWeeklyImproving),
        .init(name: "Sven Larsen", dob: "1966-11-02", onsetDaysAgo: 180, course: .single),
        .init(name: "Tara Singh", dob: "1987-07-07", onsetDaysAgo: 45, course: .weekly),
        .init(name: "Uma Patel", dob: "1974-02-14", onsetDaysAgo: 310, course: .courseCap),
        .init(name: "Zoë Ångström-Núñez", dob: "1989-10-25", onsetDaysAgo: 140, course: .twiceWeeklyImproving),
    ]

    /// Days before today of each visit, and pain before each, for a course pattern.
    static func visits(for course: Course) -> [(daysAgo: Int, painBefore: Int, painAfter: Int)] {
        switch course {
        case .none: []
        case .single: [(5, 6, 5)]
        case .weekly: [(29, 7, 6), (22, 6, 5), (15, 6, 5), (8, 5, 4), (1, 5, 4)]
        case .twiceWeeklyImproving:
            [(27, 7, 6), (24, 6, 5), (20, 6, 5), (17, 5, 4), (13, 5, 4), (10, 4, 3), (6, 4, 3), (3, 3, 2)]
        case .sporadic: [(44, 6, 5), (25, 6, 5), (4, 6, 5)]
        case .noImprovement:
            [(24, 7, 6), (21, 7, 7), (17, 7, 6), (14, 7, 7), (10, 7, 6), (7, 7, 7), (3, 7, 6)]
        case .noImprovementLong:
            [(31, 6, 5), (28, 6, 6), (24, 6, 5), (21, 6, 6), (17, 6, 5), (14, 7, 6), (10, 6, 5), (7, 6, 6), (3, 6, 5)]
        case .courseCap:
            [(38, 8, 7), (35, 7, 6), (31, 7, 6), (28, 6, 5), (24, 6, 5), (21, 5, 4), (17, 5, 4), (14, 5, 4),
             (10, 5, 4), (7, 5, 4), (3, 5, 4)]
        case .overScheduled: [(12, 6, 5), (9, 6, 5), (6, 5, 4), (5, 5, 4), (4, 5, 4), (2, 5, 4)]
        }
    }

    /// Returns the therapists' ids.
    static func populate(_ unit: UnitOfWork) async throws -> [Int64] {
        let (practice, connection, logger, today) = (unit.practice, unit.connection, unit.logger, unit.now.today)
        let p = practice.id
        let therapistIdentifiers = [("1174507784", "NY-LMT-31200"), ("1952345670", "NY-LMT-31217"), ("1629184478", "NY-LMT-31234")]
        var therapistCount = 0
        func staff(_ name: String, _ role: StaffRole, _ years: Double?, _ email: String) async throws -> Int64 {
            var request = PracticeService.NewStaffRequest(name: name, role: role, mskYears: years, email: email)
            if role == .therapist {
                (request.npi, request.license) = therapistIdentifiers[therapistCount]
                therapistCount += 1
            }
            return try await unit.addStaff(request).value.id
        }
        try await Practices.setIdentifiers(
            try BillingIdentifiers.validated(npi: "1321098760", taxID: "12-3456789", address: "210 River Street, Riverside, NY 12866",
                                             phone: "(555) 010-4000"),
            practiceID: p, on: connection, logger: logger)
        _ = try await staff("Dana Whitfield", .owner, 12, "dana@riverside.example")
        let therapists = [
            try await staff("Marcus Bell", .therapist, 7, "marcus@riverside.example"),
            try await staff("Priya Raman", .therapist, 4, "priya@riverside.example"),
            try await staff("Sofia Lindqvist", .therapist, 2.5, "sofia@riverside.example"),
        ]
        let frontDesk = try await staff("Lena Ortiz", .frontDesk, nil, "frontdesk@riverside.example")

        func provider(_ name: String, _ kind: ProviderKind, _ npi: String, _ clinic: String, _ fax: String) async throws -> Int64 {
            try await unit.addProvider(try NewProvider(name: name, kind: kind, npi: npi, clinic: clinic,
                                                       phone: "(555) 010-\(npi.suffix(4))", fax: fax, email: nil)).id
        }
        let physician = try await provider("Dr. Maya Chen", .physician, "1234567893", "Riverside Family Medicine", "(555) 010-2001")
        let spine = try await provider("Dr. Samuel Okafor", .spineSpecialist, "1987654328", "Hudson Spine Center", "(555) 010-2002")
        let physio = try await provider("Jordan Pike, PT", .physicalTherapist, "1543210987", "MoveWell Physical Therapy", "(555) 010-2003")
        let internist = try await provider("Dr. Elena Vasquez", .physician, "1765432103", "Northside Internal Medicine", "(555) 010-2004")

        _ = (connection, logger, p)
        for (index, demo) in clients.enumerated() {
            let therapist = therapists[index % therapists.count]
            let course = visits(for: demo.course)
            let profile = try await unit.registerClient(.init(
                name: demo.name, dateOfBirth: try CalendarDate(parsing: demo.dob), painOnset: today.adding(days: -demo.onsetDaysAgo),
                phone: "(555) 013-\(String(format: "%04d", 3000 + index * 7))", primaryTherapistID: therapist)).value
            let client = profile.client
            // Screened at intake, a week before the first visit.
            let answers = ScreeningAnswers(weightLossOrFever: false, bilateralNumbnessOrBowelBladder: false,
                                           cancerOrMajorTrauma: demo.redFlag, nightPain: demo.nightPain, legNumbness: false)
            _ = try await unit.recordScreening(.init(clientID: client.id, answers: answers, screenedBy: frontDesk,
                                                     date: today.adding(days: -((course.first?.daysAgo ?? 0) + 7))))
            // Keiko's red flag was cleared by her physician; Hugo's is still waiting.
            if demo.redFlag && demo.course != .none {
                // The incoming clearance letter records the clearance itself.
                _ = try await unit.addLetter(.init(
                    clientID: client.id, providerID: physician, direction: .incoming, kind: .clearance,
                    date: today.adding(days: -((course.first?.daysAgo ?? 0) + 3)),
                    body: "History of cancer reviewed; in remission five years. Cleared for therapeutic massage."))
            }
            // Most treated clients came with a prescription (Ana's is added below, with her letters).
            if index != 0, let firstVisit = course.first {
                _ = try await unit.addLetter(.init(
                    clientID: client.id, providerID: index % 2 == 0 ? physician : internist, direction: .incoming,
                    kind: .prescription, date: today.adding(days: -firstVisit.daysAgo - 5),
                    diagnosisCode: ["M54.50", "M54.59", "M54.16"][index % 3], wording: "therapeutic massage for low-back pain",
                    sessionsAuthorised: index % 4 == 0 ? 6 : 12, validUntil: today.adding(days: 60 - firstVisit.daysAgo)))
            }
            // One slot per client per day, unique within each therapist's list, so nothing overlaps.
            let hour = 9 + (index / therapists.count)
            var appointments: [Int64] = []
            for (visit, (daysAgo, before, after)) in course.enumerated() {
                let minutes = [60, 45, 50, 30][(index + visit) % 4]
                // Entered after the fact, through the front desk's booking rules; the over-scheduled
                // client's third visit in a week needs the override a front desk would give.
                let booked = try await unit.book(BookingRequest(
                    clientID: client.id, therapistID: therapist,
                    at: LocalDateTime(date: today.adding(days: -daysAgo), time: try TimeOfDay(hour: hour, minute: 0)),
                    minutes: minutes, overrideReason: demo.course == .overScheduled ? "client asked for extra visits" : nil,
                    past: true)).value
                let id = booked.appointments[0].id
                let techniques: [[Technique]] = [[.swedish], [.deepTissue, .triggerPoint], [.myofascialRelease], [.swedish, .other]]
                _ = try await unit.complete(id, record: try SessionRecord(
                    minutes: minutes, techniques: techniques[(index + visit) % 4], painBefore: before, painAfter: after,
                    soreness: visit == 0 && index % 5 == 0 ? .mild : .none, cpt: index % 3 == 0 ? .manualTherapy : .massage,
                    fee: [Decimal(95), Decimal(110), Decimal(85)][index % 3]))
                appointments.append(id)
            }
            // Pressure feedback: mostly eased, and one entry above 5/10 that was only held (a flag).
            for (visit, appointment) in appointments.enumerated() where visit % 3 == 0 {
                let flagged = [.noImprovement, .noImprovementLong].contains(demo.course) && visit == 3
                let regions: [BodyRegion] = [.lumbarLeft, .quadratusLumborum, .glutes, .lumbarRight]
                _ = try await unit.addFeedback(.init(
                    appointmentID: appointment, region: regions[visit % 4], pressure: flagged ? 7 : 5, discomfort: flagged ? 7 : 4,
                    action: flagged ? .held : .eased, note: flagged ? "client asked to keep pressure" : nil))
            }
            if let first = appointments.first {
                let note = try await unit.draftNote(appointmentID: first, soap: .init(
                    subjective: "Low-back pain, worse after sitting.",
                    objective: "Hypertonic lumbar paraspinals and quadratus lumborum; lumbar flexion limited.",
                    assessment: "Mechanical low-back pain, responding to soft-tissue work.",
                    plan: "Continue 1–2 sessions weekly, 60 minutes; review pain trend after 4–6 sessions.",
                    homeProgram: "default"))
                _ = try await unit.signNote(note.id, signer: therapist)
                if index == 0 {
                    // A correction to a signed note is an addendum, never an edit.
                    _ = try await unit.addAddendum(to: note.id, author: therapist, reason: "side recorded wrongly",
                                                   text: "Objective: hypertonicity was greater on the left, not the right.")
                }
            }
            if index == 0 {
                _ = try await unit.addLetter(.init(
                    clientID: client.id, providerID: physician, direction: .incoming, kind: .prescription,
                    date: today.adding(days: -35), diagnosisCode: "M54.50", wording: "therapeutic massage for low-back pain",
                    sessionsAuthorised: 12, validUntil: today.adding(days: 55)))
                let coordination = try await unit.addLetter(.init(
                    clientID: client.id, providerID: physio, direction: .outgoing, kind: .coordination, date: today.adding(days: -2),
                    body: "Pain down from 7/10 to 3/10 over 8 sessions of massage, twice weekly. Please continue the core strengthening program; I will keep sessions to 1–2 a week and share notes."))
                _ = try await unit.advanceLetter(coordination.letter.id, to: .sent)
                _ = try await unit.reportPain(clientID: client.id, score: 3, date: today.adding(days: -1))
            }
            if demo.course == .noImprovementLong {
                // Drafted from the check's flag: no improvement after 9 sessions.
                _ = try await unit.addLetter(.init(clientID: client.id, providerID: spine, direction: .outgoing, kind: .referral,
                                                   date: today))
            }
        }
        return therapists
    }

    /// Working hours for everyone, and the coming weeks booked as weekly series through the same
    /// booking rules the front desk uses (gate, overlaps, weekly limit).
    static func bookAhead(_ unit: UnitOfWork, therapists: [Int64]) async throws {
        for (index, therapist) in therapists.enumerated() {
            var hours = try WorkingHours.parse("mon-fri 08:00-18:00")
            if index == 0 { hours += try WorkingHours.parse("sat 09:00-13:00") }
            try await unit.setWorkingHours(hours, therapistID: therapist)
        }
        let nextMonday = IsoWeek(containing: unit.now.today).adding(weeks: 1).monday
        let ids = Dictionary(uniqueKeysWithValues: try await ClientRepository.list(practiceID: unit.practice.id, on: unit.connection,
                                                                                   logger: unit.logger)
            .map { ($0.name, $0.id) })
        for (index, demo) in clients.enumerated() {
            let weekdays: Set<Int>
            switch demo.course {
            case .twiceWeeklyImproving: weekdays = index % 2 == 0 ? [2, 5] : [1, 4]
            case .weekly: weekdays = [3]
            default: continue
            }
            let hour = 9 + index / therapists.count
            let request = BookingRequest(
                clientID: ids[demo.name]!,
                therapistID: therapists[index % therapists.count],
                at: LocalDateTime(date: nextMonday, time: try TimeOfDay(hour: hour, minute: 0)),
                minutes: 60, weekly: (weekdays, .count(weekdays.count * 4)))
            _ = try await unit.book(request)
        }
    }

    static func summary(of unit: UnitOfWork, created: Bool) async throws -> Summary {
        let (practice, connection, logger) = (unit.practice, unit.connection, unit.logger)
        let p = practice.id
        let rows = try await connection.query("""
            SELECT
              (SELECT count(*)::int FROM staff WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM staff WHERE practice_id = \(p) AND role = 'therapist'),
              (SELECT count(*)::int FROM providers WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM clients WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM screenings WHERE practice_id = \(p) AND has_red_flag),
              (SELECT count(*)::int FROM clearances WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM appointments WHERE practice_id = \(p) AND status = \(AppointmentStatus.completed.rawValue)),
              (SELECT count(*)::int FROM pain_reports WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM pressure_feedback WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM session_notes WHERE practice_id = \(p) AND signed_at IS NOT NULL),
              (SELECT count(*)::int FROM referral_letters WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM appointment_series WHERE practice_id = \(p)),
              (SELECT count(*)::int FROM appointments WHERE practice_id = \(p) AND status = \(AppointmentStatus.booked.rawValue) AND starts_at > \(unit.now.instant))
            """, logger: logger)
        var summary = Summary(practiceID: p, practiceName: practice.name, created: created, staff: 0, therapists: 0,
                              providers: 0, clients: 0, acute: 0, subAcute: 0, chronic: 0, redFlags: 0, redFlagsCleared: 0,
                              completedSessions: 0, painReports: 0, pressureFeedback: 0, signedNotes: 0, referralLetters: 0)
        for try await (staff, therapists, providers, clients, flags, cleared, sessions, pain, feedback, notes, letters, series, upcoming)
            in rows.decode((Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int).self) {
            summary.series = series
            summary.upcomingVisits = upcoming
            summary.staff = staff
            summary.therapists = therapists
            summary.providers = providers
            summary.clients = clients
            summary.redFlags = flags
            summary.redFlagsCleared = cleared
            summary.completedSessions = sessions
            summary.painReports = pain
            summary.pressureFeedback = feedback
            summary.signedNotes = notes
            summary.referralLetters = letters
        }
        let today = unit.now.today
        summary.nextWeek = IsoWeek(containing: today).adding(weeks: 1).description
        for client in try await ClientRepository.list(practiceID: p, on: connection, logger: logger) {
            switch PainDuration.classify(onset: client.painOnset, asOf: today, policy: practice.policy) {
            case .acute: summary.acute += 1
            case .subAcute: summary.subAcute += 1
            case .chronic: summary.chronic += 1
            }
        }
        return summary
    }
}

extension PracticeService {
    /// What `practice demo` shows after seeding: the check's flags by rule, next week's visits,
    /// and Ana's coordination summary for her physical therapist (the sample letter).
    public struct DemoPreview: Sendable {
        public var flagged: [(rule: EvidenceRule, clients: [String])]
        public var week: IsoWeek
        public var visits: [AppointmentView]
        public var summary: CoordinationSummary
    }

    public func demoPreview() async throws -> DemoPreview {
        try await read { unit in
            let reports = try await unit.check(clientID: nil, asOf: nil).clients
            let flagged = EvidenceRule.allCases.compactMap { rule -> (rule: EvidenceRule, clients: [String])? in
                let names = reports.filter { $0.flags.contains { $0.rule == rule } }.map(\.metrics.clientName)
                return names.isEmpty ? nil : (rule, names)
            }
            let week = IsoWeek(containing: unit.today).adding(weeks: 1)
            let visits = try await Scheduling.list(.init(from: week.monday, to: week.monday.adding(days: 6), includeCancelled: false),
                                                   practice: unit.practice, on: unit.connection, logger: unit.logger)
            guard let ana = try await ClientRepository.list(practiceID: unit.practice.id, search: "Ana Ruiz", on: unit.connection,
                                                            logger: unit.logger).first,
                  let physio = try await ProviderRepository.list(practiceID: unit.practice.id, on: unit.connection, logger: unit.logger)
                    .first(where: { $0.kind == .physicalTherapist })
            else { throw PracticeError.notFound(entity: "demo client", id: "Ana Ruiz") }
            let summary = try await unit.coordinationSummary(clientID: ana.id, to: physio.id)
            return DemoPreview(flagged: flagged, week: week, visits: visits, summary: summary)
        }
    }
}
