import Foundation
import Logging
import PostgresNIO
import PracticeCore
import PracticeStore

extension CoordinationSummary {
    /// Reads everything a coordination summary says about a client, addressed to a provider.
    public static func load(clientID: Int64, to providerID: Int64, practice: Practice, now: PracticeNow? = nil,
                            on connection: PostgresConnection, logger: Logger) async throws -> CoordinationSummary {
        let now = try await connection.practiceNow(now, practice, logger: logger)
        let profile = try await ClientProfile.load(clientID: clientID, practice: practice, now: now, on: connection, logger: logger)
        let client = profile.client
        let provider: Provider
        do {
            provider = try await ProviderRepository.get(providerID, practiceID: practice.id, on: connection, logger: logger)
        } catch PracticeError.notFound {
            throw PracticeError.invalid(field: "--to", reason: "no provider \(providerID) in this practice")
        }
        let today = now.today
        let therapist: StaffMember? = if let id = client.primaryTherapistID {
            try await StaffRepository.get(id, practiceID: practice.id, on: connection, logger: logger)
        } else { nil }

        let zone = practice.timeZone
        let rows = try await connection.query("""
            SELECT a.id, to_char(a.starts_at AT TIME ZONE \(zone), 'YYYY-MM-DD'), a.starts_at,
                   coalesce(a.minutes_treated, (extract(epoch FROM a.ends_at - a.starts_at) / 60)::int), a.status,
                   coalesce(a.techniques, '{}'), b.score::int, f.score::int, a.soreness
            FROM appointments a
            LEFT JOIN pain_reports b ON b.practice_id = a.practice_id AND b.appointment_id = a.id AND b.source = 'before_session'
                 AND NOT EXISTS (SELECT 1 FROM pain_reports x WHERE x.practice_id = b.practice_id AND x.supersedes_id = b.id)
            LEFT JOIN pain_reports f ON f.practice_id = a.practice_id AND f.appointment_id = a.id AND f.source = 'after_session'
                 AND NOT EXISTS (SELECT 1 FROM pain_reports x WHERE x.practice_id = f.practice_id AND x.supersedes_id = f.id)
            WHERE a.practice_id = \(practice.id) AND a.client_id = \(clientID)
            ORDER BY a.starts_at
            """, logger: logger)
        var sessions: [Session] = []
        for try await (id, date, at, minutes, status, techniques, before, after, soreness)
            in rows.decode((Int64, String, Date, Int, String, [String], Int?, Int?, String?).self) {
            sessions.append(Session(appointmentID: id, date: try CalendarDate(parsing: date), startsAt: at, minutes: minutes,
                                    status: try AppointmentStatus(known: status, id: id),
                                    techniques: try techniques.map { raw throws(PracticeError) in try known(raw, as: Technique.self, in: "appointment \(id)") },
                                    painBefore: before,
                                    painAfter: after,
                                    soreness: try soreness.map { raw throws(PracticeError) in try known(raw, as: Soreness.self, in: "appointment \(id)") }))
        }
        var points: [PainPoint] = []
        let pains = try await connection.query("""
            SELECT reported_at, to_char(reported_at AT TIME ZONE \(zone), 'YYYY-MM-DD'), score::int, source, appointment_id
            FROM pain_reports r WHERE practice_id = \(practice.id) AND client_id = \(clientID)
              AND NOT EXISTS (SELECT 1 FROM pain_reports x WHERE x.practice_id = r.practice_id AND x.supersedes_id = r.id)
            ORDER BY reported_at, id
            """, logger: logger)
        for try await (at, date, score, source, appointment) in pains.decode((Date, String, Int, String, Int64?).self) {
            points.append(PainPoint(at: at, date: try CalendarDate(parsing: date), score: score, source: source, appointmentID: appointment))
        }
        var pressure: [Pressure] = []
        let feedback = try await connection.query("""
            SELECT to_char(a.starts_at AT TIME ZONE \(zone), 'YYYY-MM-DD'), f.region, f.discomfort::int, f.action
            FROM pressure_feedback f JOIN appointments a ON a.practice_id = f.practice_id AND a.id = f.appointment_id
            WHERE f.practice_id = \(practice.id) AND a.client_id = \(clientID) AND f.discomfort > \(practice.policy.maxDiscomfort)::int
              AND NOT EXISTS (SELECT 1 FROM pressure_feedback x WHERE x.practice_id = f.practice_id AND x.supersedes_id = f.id)
            ORDER BY f.recorded_at, f.id
            """, logger: logger)
        for try await (date, region, discomfort, action) in feedback.decode((String, String, Int, String).self) {
            let act = try known(action, as: PressureAction.self, in: "pressure feedback")
            pressure.append(Pressure(date: try CalendarDate(parsing: date), region: try known(region, as: BodyRegion.self, in: "pressure feedback"),
                                     discomfort: discomfort, action: act, flagged: act != .eased))
        }
        let report = try await FrequencyCheckQuery.run(practice: practice, clientID: clientID, asOf: today, cutoff: now.instant,
                                                       on: connection, logger: logger).first
        let notes = try await SessionNotes.list(.client(clientID), practice: practice, on: connection, logger: logger)
            .filter { $0.signedAt != nil }
        let letters = try await ReferralLetters.list(clientID: clientID, practice: practice, on: connection, logger: logger)
        func excerpt(_ l: ReferralLetters.Letter) -> Letter {
            Letter(id: l.id, date: l.date, provider: l.providerName, diagnosisCode: l.diagnosisCode, wording: l.wording,
                   sessionsAuthorised: l.sessionsAuthorised, validUntil: l.validUntil, body: l.body, kind: l.kind, status: l.status)
        }
        let clearanceProvider: String? = if let clearance = profile.clearance {
            try await ProviderRepository.get(clearance.providerID, practiceID: practice.id, on: connection, logger: logger).name
        } else { nil }

        let flags = report?.flags ?? []
        let completed = sessions.filter { $0.status == .completed }
        return CoordinationSummary(
            generatedOn: today,
            practice: Party(id: practice.id, name: practice.name, lines: []),
            therapist: therapist.map { Party(id: $0.id, name: $0.name, lines: [$0.email].compactMap { $0 }) },
            therapistMskYears: therapist?.mskYears,
            client: Party(id: client.id, name: client.name, lines: [client.phone, client.email].compactMap { $0 }),
            clientBorn: client.dateOfBirth,
            addressee: Party(id: provider.id, name: provider.name,
                             lines: [provider.clinic, provider.phone.map { "Phone \($0)" }, provider.fax.map { "Fax \($0)" }, provider.email]
                                .compactMap { $0 }),
            addresseeKind: provider.kind, addresseeNPI: provider.npi,
            isReferral: provider.kind == .spineSpecialist || letters.contains { $0.kind == .referral && $0.providerID == provider.id },
            prescription: letters.last { $0.kind == .prescription }.map(excerpt),
            painOnset: client.painOnset, painDuration: profile.painDuration,
            screening: profile.screeningSummary,
            clearance: profile.clearance.map { "cleared by \(clearanceProvider ?? "a physician") on \($0.clearedOn)" },
            sessions: sessions, painPoints: points,
            trend: weeklyTrend(points: points, sessions: completed, baseline: report?.metrics.baselinePain ?? completed.first?.painBefore),
            targetPerWeek: practice.policy.minVisitsPerWeek...practice.policy.maxVisitsPerWeek,
            baselinePain: report?.metrics.baselinePain ?? completed.first?.painBefore,
            latestPain: report?.metrics.latestPain,
            expectedRelief: ExpectedRelief.describe(sessions: report?.metrics.sessionsInCourse ?? completed.count, policy: practice.policy),
            pressure: pressure, maxDiscomfort: practice.policy.maxDiscomfort,
            notes: notes.map { NoteExcerpt(date: $0.date, assessment: $0.assessment, plan: $0.plan,
                                           addenda: $0.addenda.map { "\($0.reason): \($0.text)" }) },
            flags: flags, recommendation: Recommendation.from(flags: flags),
            coordinationNote: letters.last { $0.kind == .coordination }.map(excerpt),
            referrals: letters.filter { $0.kind == .referral }.map(excerpt),
            homeProgram: notes.last { $0.homeProgram != nil }?.homeProgram)
    }

    /// Mean arriving or self-reported pain per ISO week, against the baseline.
    static func weeklyTrend(points: [PainPoint], sessions: [Session], baseline: Int?) -> [WeekTrend] {
        let trendPoints = points.filter { $0.source != "after_session" }
        let weeks = Set(trendPoints.map { IsoWeek(containing: $0.date) } + sessions.map { IsoWeek(containing: $0.date) }).sorted()
        return weeks.map { week in
            let scores = trendPoints.filter { IsoWeek(containing: $0.date) == week }.map { Double($0.score) }
            let mean = scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
            let change: Double? = if let mean, let baseline, baseline > 0 { (mean - Double(baseline)) / Double(baseline) * 100 } else { nil }
            return WeekTrend(week: week, visits: sessions.filter { IsoWeek(containing: $0.date) == week }.count, meanPain: mean,
                             changePercent: change)
        }
    }
}
