import Crypto
import Foundation
import OpenAPIRuntime
import PracticeAPI
import PracticeCore
import PracticeService
import PracticeStore

/// Appointments and what happens in them: booking, the life of a visit, feedback, notes, letters.
extension PracticeAPIHandlers {
    func listAppointments(_ input: Operations.ListAppointments.Input) async throws -> Operations.ListAppointments.Output {
        let service = try await service(.anyStaff)
        let query = input.query
        let filter = Scheduling.AppointmentFilter(
            clientID: query.clientId, therapistID: query.therapistId, from: try query.from.map { try Parse.date($0, field: "from") },
            to: try query.to.map { try Parse.date($0, field: "to") }, includeCancelled: query.includeCancelled ?? false)
        let page = try Page(try await service.listAppointments(filter), limit: query.limit, cursor: query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func bookAppointment(_ input: Operations.BookAppointment.Input) async throws -> Operations.BookAppointment.Output {
        let service = try await service(.anyStaff)
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        var request = BookingRequest(clientID: body.clientId, therapistID: body.therapistId,
                                     at: LocalDateTime(date: try Parse.date(body.date, field: "date"),
                                                       time: try Parse.time(body.start, field: "start")),
                                     minutes: body.minutes ?? BookingRules.Minutes.defaultVisit,
                                     skipConflicts: body.skipConflicts ?? false,
                                     overrideReason: try Parse.text(body.overrideReason, field: "override_reason"),
                                     unscreenedReason: try Parse.text(body.unscreenedReason, field: "unscreened_reason"),
                                     past: body.past ?? false)
        if let weekly = body.weekly {
            let end: WeeklyRecurrence.End
            switch (weekly.until, weekly.count) {
            case (let until?, nil): end = .until(try Parse.date(until, field: "weekly.until"))
            case (nil, let count?): end = .count(count)
            default: throw Parse.invalid("weekly", "give exactly one of until and count")
            }
            request.weekly = (Set(weekly.weekdays), end)
        }
        let (answer, replayed) = try await service.writeOnce(key: input.headers.idempotencyKey, operation: "bookAppointment",
                                                             fingerprint: try Fingerprint.of(body)) { unit in
            let booked = try await unit.book(request)
            let location = booked.value.appointments.first.map { "/appointments/\($0.id)" }
            return Idempotency.Stored(status: 201, location: location, body: try Bridge.json(booked.value))
        }
        return .created(.init(headers: .init(location: answer.location, idempotentReplay: replayed ? "true" : nil),
                              body: .json(try Bridge.decoder.decode(Components.Schemas.BookingResult.self, from: Data(answer.body)))))
    }

    func getAppointment(_ input: Operations.GetAppointment.Input) async throws -> Operations.GetAppointment.Output {
        let service = try await service(.anyStaff)
        return .ok(.init(body: .json(try Bridge.convert(try await service.appointment(input.path.appointmentId)))))
    }

    func cancelAppointment(_ input: Operations.CancelAppointment.Input) async throws -> Operations.CancelAppointment.Output {
        let service = try await service(.anyStaff)
        let cancelled = try await service.cancel(input.path.appointmentId, following: input.query.following ?? false)
        return .ok(.init(body: .json(.init(items: try cancelled.map(Bridge.convert)))))
    }

    func rescheduleAppointment(_ input: Operations.RescheduleAppointment.Input) async throws -> Operations.RescheduleAppointment.Output {
        let service = try await service(.anyStaff)
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let at = LocalDateTime(date: try Parse.date(body.date, field: "date"), time: try Parse.time(body.start, field: "start"))
        let moved = try await service.reschedule(input.path.appointmentId, to: at, minutes: body.minutes,
                                                 overrideReason: try Parse.text(body.overrideReason, field: "override_reason"),
                                                 past: false)
        return .ok(.init(body: .json(.init(appointment: try Bridge.convert(moved.value), warnings: try moved.warnings.map(Bridge.convert)))))
    }

    func checkInAppointment(_ input: Operations.CheckInAppointment.Input) async throws -> Operations.CheckInAppointment.Output {
        let service = try await service(.anyStaff)
        return .ok(.init(body: .json(try Bridge.convert(try await service.checkIn(input.path.appointmentId)))))
    }

    func markNoShow(_ input: Operations.MarkNoShow.Input) async throws -> Operations.MarkNoShow.Output {
        let service = try await service(.anyStaff)
        return .ok(.init(body: .json(try Bridge.convert(try await service.markNoShow(input.path.appointmentId)))))
    }

    func completeAppointment(_ input: Operations.CompleteAppointment.Input) async throws -> Operations.CompleteAppointment.Output {
        let id = input.path.appointmentId
        let service = try await service(.clinical(.appointment(id)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let techniques = try body.techniques.map { payload throws -> Technique in
            guard let technique = Technique(rawValue: payload.rawValue) else { throw Parse.invalid("techniques", "unknown technique") }
            return technique
        }
        let request = PracticeService.CompletionRequest(
            appointmentID: id, minutes: body.minutes, techniques: techniques, painBefore: body.painBefore, painAfter: body.painAfter,
            soreness: body.soreness.flatMap { Soreness(rawValue: $0.rawValue) } ?? .none,
            cpt: body.cpt.flatMap { CPTCode(rawValue: $0.rawValue) }, fee: body.fee)
        let record = try request.record()
        let (answer, replayed) = try await service.writeOnce(key: input.headers.idempotencyKey, operation: "completeAppointment:\(id)",
                                                             fingerprint: try Fingerprint.of(body)) { unit in
            let done = try await unit.complete(id, record: record)
            return Idempotency.Stored(status: 200, location: nil, body: try Bridge.json(done.value))
        }
        return .ok(.init(headers: .init(idempotentReplay: replayed ? "true" : nil),
                         body: .json(try Bridge.decoder.decode(Components.Schemas.Completion.self, from: Data(answer.body)))))
    }

    // MARK: Feedback

    func listFeedback(_ input: Operations.ListFeedback.Input) async throws -> Operations.ListFeedback.Output {
        let service = try await service(.clinical(.appointment(input.path.appointmentId)))
        let page = try Page(try await service.feedback(appointmentID: input.path.appointmentId), limit: input.query.limit,
                            cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func addFeedback(_ input: Operations.AddFeedback.Input) async throws -> Operations.AddFeedback.Output {
        let id = input.path.appointmentId
        let service = try await service(.clinical(.appointment(id)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        guard let region = BodyRegion(rawValue: body.region.rawValue), let action = PressureAction(rawValue: body.action.rawValue) else {
            throw Parse.invalid("region", "unknown region or action")
        }
        let added = try await service.addFeedback(.init(appointmentID: id, region: region, pressure: body.pressure,
                                                        discomfort: body.discomfort, action: action,
                                                        note: try Parse.text(body.note, field: "note"), confirm: body.confirm ?? false))
        return .created(.init(headers: .init(location: "/appointments/\(id)/feedback/\(added.value.id)"),
                              body: .json(.init(feedback: try Bridge.convert(added.value), warnings: try added.warnings.map(Bridge.convert)))))
    }

    // MARK: Notes

    func draftNote(_ input: Operations.DraftNote.Input) async throws -> Operations.DraftNote.Output {
        let id = input.path.appointmentId
        let service = try await service(.clinical(.appointment(id)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let note = try await service.draftNote(appointmentID: id, soap: try SOAPInput.parse(body))
        return .created(.init(headers: .init(location: "/notes/\(note.id)", eTag: try NoteVersion.etag(note)),
                              body: .json(try Bridge.convert(note))))
    }

    func getNote(_ input: Operations.GetNote.Input) async throws -> Operations.GetNote.Output {
        let service = try await service(.clinical(.note(input.path.noteId)))
        let note = try await service.note(input.path.noteId)
        return .ok(.init(headers: .init(eTag: try NoteVersion.etag(note)), body: .json(try Bridge.convert(note))))
    }

    func editNote(_ input: Operations.EditNote.Input) async throws -> Operations.EditNote.Output {
        let service = try await service(.clinical(.note(input.path.noteId)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let soap = try SOAPInput.parse(body)
        let ifMatch = input.headers.ifMatch
        let note = try await service.editNote(input.path.noteId, soap: soap) { try NoteVersion.require(ifMatch, matches: $0) }
        return .ok(.init(headers: .init(eTag: try NoteVersion.etag(note)), body: .json(try Bridge.convert(note))))
    }

    func signNote(_ input: Operations.SignNote.Input) async throws -> Operations.SignNote.Output {
        let service = try await service(.clinical(.note(input.path.noteId)))
        let ifMatch = input.headers.ifMatch
        let note = try await service.signNote(input.path.noteId, signer: staffID) { try NoteVersion.require(ifMatch, matches: $0) }
        return .ok(.init(headers: .init(eTag: try NoteVersion.etag(note)), body: .json(try Bridge.convert(note))))
    }

    func addAddendum(_ input: Operations.AddAddendum.Input) async throws -> Operations.AddAddendum.Output {
        let id = input.path.noteId
        let service = try await service(.clinical(.note(id)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let note = try await service.addAddendum(to: id, author: staffID, reason: try Parse.text(body.reason, field: "reason") ?? "",
                                                 text: try Parse.text(body.text, field: "text") ?? "")
        return .created(.init(headers: .init(location: "/notes/\(id)"), body: .json(try Bridge.convert(note))))
    }

    // MARK: Letters

    func getLetter(_ input: Operations.GetLetter.Input) async throws -> Operations.GetLetter.Output {
        let service = try await service(.letterStatus(.letter(input.path.letterId)))
        let letter = try await service.letter(input.path.letterId)
        return .ok(.init(body: .json(try Bridge.convert(service.readsClinicalContents ? letter : letter.withoutContents))))
    }

    func advanceLetter(_ input: Operations.AdvanceLetter.Input) async throws -> Operations.AdvanceLetter.Output {
        let service = try await service(.letterStatus(.letter(input.path.letterId)))
        guard case .json(let body) = input.body else { throw Parse.unsupportedBody }
        let letter = switch body.status {
        case .sent: try await service.sendLetter(input.path.letterId)
        case .acknowledged: try await service.acknowledgeLetter(input.path.letterId)
        }
        return .ok(.init(body: .json(try Bridge.convert(service.readsClinicalContents ? letter : letter.withoutContents))))
    }

    // MARK: A therapist's week

    func listSlots(_ input: Operations.ListSlots.Input) async throws -> Operations.ListSlots.Output {
        let service = try await service(.anyStaff)
        let week = try input.query.week.map { try IsoWeek(parsing: $0) }
        let slots = try await service.freeSlots(.init(therapistID: input.path.therapistId, week: week,
                                                      minutes: input.query.minutes ?? BookingRules.Minutes.defaultVisit))
        let page = try Page(slots, limit: input.query.limit, cursor: input.query.cursor)
        return .ok(.init(body: .json(.init(items: try page.converted(), nextCursor: page.next))))
    }

    func getTherapistWeek(_ input: Operations.GetTherapistWeek.Input) async throws -> Operations.GetTherapistWeek.Output {
        let service = try await service(.anyStaff)
        let week = try input.query.week.map { try IsoWeek(parsing: $0) }
        return .ok(.init(body: .json(try Bridge.convert(try await service.week(therapistID: input.path.therapistId, week: week)))))
    }
}

/// What a retried request is recognised by: its body, canonically encoded.
enum Fingerprint {
    static func of(_ body: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(SHA256.hash(data: try encoder.encode(body)))
    }
}

enum SOAPInput {
    static func parse(_ body: Components.Schemas.Soap) throws -> SessionNotes.SOAP {
        SessionNotes.SOAP(subjective: try Parse.text(body.subjective, field: "subjective"),
                          objective: try Parse.text(body.objective, field: "objective"),
                          assessment: try Parse.text(body.assessment, field: "assessment"),
                          plan: try Parse.text(body.plan, field: "plan"),
                          homeProgram: try Parse.text(body.homeProgram, field: "home_program"))
    }
}
