import Foundation
import OpenAPIRuntime
import PracticeAPI
import PracticeCore
import PracticeReports
import PracticeService
import PracticeStore

/// Clients, their screening and clearances, pain, notes and letters by client, and the reports.
extension PracticeAPIHandlers {
    func listClients(_ input: Operations.ListClients.Input) async throws -> Operations.ListClients.Output {
        let service = try await service(.anyStaff)
        let search = try Parse.text(input.query.search, field: "search", multiline: false)
        let clients = try await service.listClients(search: search, includeDischarged: input.query.includeDischarged ?? false)
        let page = try Page(clients, limit: input.query.limit, cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func registerClient(_ input: Operations.RegisterClient.Input) async throws -> Operations.RegisterClient.Output {
        let service = try await service(.frontOffice)
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let request = PracticeService.NewClientRequest(
            name: body.name, dateOfBirth: try Parse.date(body.dateOfBirth, field: "date_of_birth"),
            painOnset: try Parse.date(body.painOnset, field: "pain_onset"), phone: body.phone, email: body.email,
            primaryTherapistID: body.primaryTherapistId)
        let profile = try await service.registerClient(request)
        return .created(.init(headers: .init(location: "/clients/\(profile.value.client.id)"),
                              body: .json(try Bridge.convert(profile.value))))
    }

    func getClient(_ input: Operations.GetClient.Input) async throws -> Operations.GetClient.Output {
        let service = try await service(.screening(.client(input.path.clientId)))
        return .ok(.init(body: .json(try Bridge.convert(try await service.clientProfile(input.path.clientId).value))))
    }

    func dischargeClient(_ input: Operations.DischargeClient.Input) async throws -> Operations.DischargeClient.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let request = PracticeService.DischargeRequest(
            clientID: input.path.clientId, date: try body.date.map { try Parse.date($0, field: "date") },
            reason: try Parse.text(body.reason, field: "reason"), cancelBookings: body.cancelBookings ?? false)
        return .ok(.init(body: .json(try Bridge.convert(try await service.discharge(request)))))
    }

    func recordScreening(_ input: Operations.RecordScreening.Input) async throws -> Operations.RecordScreening.Output {
        let clientID = input.path.clientId
        let service = try await service(.screening(.client(clientID)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let answers = ScreeningAnswers(weightLossOrFever: body.weightLossOrFever,
                                       bilateralNumbnessOrBowelBladder: body.bilateralNumbnessOrBowelBladder,
                                       cancerOrMajorTrauma: body.cancerOrMajorTrauma, nightPain: body.nightPain,
                                       legNumbness: body.legNumbness)
        let result = try await service.recordScreening(.init(clientID: clientID, answers: answers, screenedBy: staffID,
                                                             date: try body.date.map { try Parse.date($0, field: "date") }))
        return .created(.init(headers: .init(location: "/clients/\(clientID)/screenings/\(result.value.id)"),
                              body: .json(try Bridge.convert(WithWarnings(value: result.value, warnings: result.warnings)))))
    }

    func recordClearance(_ input: Operations.RecordClearance.Input) async throws -> Operations.RecordClearance.Output {
        let clientID = input.path.clientId
        let service = try await service(.clinical(.client(clientID)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let clearance = try await service.recordClearance(clientID: clientID, providerID: body.providerId,
                                                          date: try Parse.date(body.date, field: "date"),
                                                          note: try Parse.text(body.note, field: "note"))
        return .created(.init(headers: .init(location: "/clients/\(clientID)/clearances/\(clearance.id)"),
                              body: .json(try Bridge.convert(clearance))))
    }

    // MARK: Pain

    func listPain(_ input: Operations.ListPain.Input) async throws -> Operations.ListPain.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        let page = try Page(try await service.painHistory(clientID: input.path.clientId), limit: input.query.limit,
                            cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func reportPain(_ input: Operations.ReportPain.Input) async throws -> Operations.ReportPain.Output {
        let clientID = input.path.clientId
        let service = try await service(.clinical(.client(clientID)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let report = try await service.reportPain(clientID: clientID, score: body.score,
                                                  date: try body.date.map { try Parse.date($0, field: "date") })
        return .created(.init(headers: .init(location: "/clients/\(clientID)/pain/\(report.id)"),
                              body: .json(try Bridge.convert(report))))
    }

    // MARK: Notes and letters by client

    func listClientNotes(_ input: Operations.ListClientNotes.Input) async throws -> Operations.ListClientNotes.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        let page = try Page(try await service.notes(clientID: input.path.clientId), limit: input.query.limit,
                            cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func listClientLetters(_ input: Operations.ListClientLetters.Input) async throws -> Operations.ListClientLetters.Output {
        let service = try await service(.letterStatus(.client(input.path.clientId)))
        let letters = try await service.letters(clientID: input.path.clientId).map { service.readsClinicalContents ? $0 : $0.withoutContents }
        let page = try Page(letters, limit: input.query.limit, cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func addLetter(_ input: Operations.AddLetter.Input) async throws -> Operations.AddLetter.Output {
        let clientID = input.path.clientId
        let service = try await service(.clinical(.client(clientID)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        guard let kind = LetterKind(rawValue: body.kind.rawValue) else { throw Parse.invalid("kind", "is not a letter kind") }
        let rule = try body.reasonRule.map { payload throws -> EvidenceRule in
            guard let rule = EvidenceRule(rawValue: payload.rawValue) else { throw Parse.invalid("reason_rule", "is not a rule") }
            return rule
        }
        let request = PracticeService.LetterRequest(
            clientID: clientID, providerID: body.providerId, direction: kind.direction, kind: kind,
            date: try body.date.map { try Parse.date($0, field: "date") }, diagnosisCode: body.diagnosisCode,
            wording: try Parse.text(body.wording, field: "wording"), sessionsAuthorised: body.sessionsAuthorised,
            validUntil: try body.validUntil.map { try Parse.date($0, field: "valid_until") }, reasonRule: rule,
            body: try Parse.text(body.body, field: "body"))
        let added = try await service.addLetter(request)
        return .created(.init(headers: .init(location: "/letters/\(added.letter.id)"), body: .json(try Bridge.convert(added))))
    }

    // MARK: Reports

    func getCoordinationSummary(_ input: Operations.GetCoordinationSummary.Input) async throws -> Operations.GetCoordinationSummary.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        let summary = try await service.coordinationSummary(clientID: input.path.clientId, to: input.query.providerId)
        switch input.query.format ?? .pdf {
        case .pdf:
            let bytes = try RenderedFile.bytes { try PDFRenderer.render(summary, paper: .letter, to: $0) }
            return .ok(.init(body: .pdf(HTTPBody(bytes))))
        case .html:
            return .ok(.init(body: .html(HTTPBody(HTMLRenderer.render(summary)))))
        case .markdown:
            return .ok(.init(body: .textMarkdown(HTTPBody(MarkdownRenderer.render(summary)))))
        case .fhir:
            let bundle = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(FHIRRenderer.render(summary).utf8))
            return .ok(.init(body: .applicationFhirJson(.init(additionalProperties: bundle))))
        }
    }

    func getSuperbill(_ input: Operations.GetSuperbill.Input) async throws -> Operations.GetSuperbill.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        let bill = try await service.superbill(clientID: input.path.clientId, from: try Parse.date(input.query.from, field: "from"),
                                               to: try Parse.date(input.query.to, field: "to"))
        let bytes = try RenderedFile.bytes { try bill.pdf(paper: .letter, to: $0) }
        return .ok(.init(body: .pdf(HTTPBody(bytes))))
    }

    func checkClient(_ input: Operations.CheckClient.Input) async throws -> Operations.CheckClient.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        let result = try await service.check(clientID: input.path.clientId,
                                             asOf: try input.query.asOf.map { try Parse.date($0, field: "as_of") })
        return .ok(.init(body: .json(try Bridge.convert(result))))
    }

    func getClientChart(_ input: Operations.GetClientChart.Input) async throws -> Operations.GetClientChart.Output {
        let service = try await service(.clinical(.client(input.path.clientId)))
        let chart = try await service.clientChart(input.path.clientId,
                                                  sessions: input.query.sessions ?? PracticeService.chartSessions)
        return .ok(.init(body: .json(try Bridge.convert(chart.value))))
    }

    func checkPractice(_ input: Operations.CheckPractice.Input) async throws -> Operations.CheckPractice.Output {
        let service = try await service(.owner)
        let result = try await service.check(clientID: nil, asOf: try input.query.asOf.map { try Parse.date($0, field: "as_of") })
        let page = try Page(result.clients, limit: input.query.limit, cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(asOf: result.asOf.description, flaggedClients: result.flaggedClients,
                                           items: try page.converted(), nextCursor: page.next))))
    }
}

extension ReferralLetters.Letter {
    /// The letter as the front desk sees it: who, what kind, when and its status; not its text.
    var withoutContents: Self {
        var letter = self
        (letter.diagnosisCode, letter.wording, letter.body, letter.sessionsAuthorised, letter.validUntil, letter.reasonRule) =
            (nil, nil, nil, nil, nil, nil)
        return letter
    }
}

/// A report rendered to a private temporary file (cairo writes files), read back and removed.
enum RenderedFile {
    static func bytes(_ render: (String) throws -> Int) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appending(path: "practice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appending(path: "report.pdf").path
        _ = try render(path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
