import Foundation
import PracticeCore

/// A FHIR R4 `document` Bundle: the Composition first, then Patient, Practitioners, Organization,
/// an Encounter per session, an Observation per pain score (LOINC 72514-3), and ServiceRequests
/// for referrals and the prescription. Every reference resolves inside the Bundle.
public enum FHIRRenderer {
    public static func render(_ s: CoordinationSummary, now: Date = Date()) -> String {
        var entries: [[String: Any]] = []
        func add(_ resource: [String: Any]) -> String {
            let url = "urn:uuid:\(UUID().uuidString.lowercased())"
            entries.append(["fullUrl": url, "resource": resource])
            return url
        }
        let iso = ISO8601DateFormatter()
        // The name as written. Family and given names are not recorded separately, and guessing them
        // at a space gets "Mary Ann Smith", "José Luis García Márquez" and "Nguyễn Văn An" wrong.
        func name(_ text: String) -> [[String: Any]] {
            [["text": text]]
        }

        let patient = add(["resourceType": "Patient", "name": name(s.client.name), "birthDate": s.clientBorn.description,
                           "identifier": [["system": "urn:massagepractice:client", "value": String(s.client.id)]]])
        let organization = add(["resourceType": "Organization", "name": s.practice.name])
        let therapist = s.therapist.map { t in
            add(["resourceType": "Practitioner", "name": name(t.name),
                 "identifier": [["system": "urn:massagepractice:staff", "value": String(t.id)]]])
        }
        var addresseeResource: [String: Any] = ["resourceType": "Practitioner", "name": name(s.addressee.name)]
        if let npi = s.addresseeNPI { addresseeResource["identifier"] = [["system": "http://hl7.org/fhir/sid/us-npi", "value": npi]] }
        let addressee = add(addresseeResource)

        var encounters: [Int64: String] = [:]
        for session in s.completed {
            encounters[session.appointmentID] = add([
                "resourceType": "Encounter", "status": "finished",
                "class": ["system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"],
                "type": [["text": "Massage therapy session: " + session.techniques.map(\.cliName).joined(separator: ", ")]],
                "subject": ["reference": patient],
                "period": ["start": iso.string(from: session.startsAt),
                           "end": iso.string(from: session.startsAt.addingTimeInterval(Double(session.minutes * 60)))],
            ])
        }
        var observations: [String] = []
        for point in s.painPoints {
            var observation: [String: Any] = [
                "resourceType": "Observation", "status": "final",
                "category": [["coding": [["system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"]]]],
                "code": ["coding": [["system": "http://loinc.org", "code": "72514-3",
                                     "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"]]],
                "subject": ["reference": patient],
                "effectiveDateTime": iso.string(from: point.at),
                "valueInteger": point.score,
                "note": [["text": point.source == "self_reported" ? "self-reported between visits"
                                  : point.source == "before_session" ? "in-session, before treatment" : "in-session, after treatment"]],
            ]
            if let appointment = point.appointmentID, let encounter = encounters[appointment] {
                observation["encounter"] = ["reference": encounter]
            }
            observations.append(add(observation))
        }
        var requests: [String] = []
        if let p = s.prescription {
            let prescriber = add(["resourceType": "Practitioner", "name": name(p.provider)])
            var request: [String: Any] = [
                "resourceType": "ServiceRequest", "status": "active", "intent": "order",
                "code": ["text": p.wording ?? "therapeutic massage for low-back pain"],
                "subject": ["reference": patient], "requester": ["reference": prescriber],
                "authoredOn": p.date.description,
            ]
            if let code = p.diagnosisCode {
                request["reasonCode"] = [["coding": [["system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code]]]]
            }
            if let sessions = p.sessionsAuthorised { request["quantityQuantity"] = ["value": sessions, "unit": "sessions"] }
            if let until = p.validUntil { request["occurrencePeriod"] = ["start": p.date.description, "end": until.description] }
            requests.append(add(request))
        }
        for referral in s.referrals {
            var request: [String: Any] = [
                "resourceType": "ServiceRequest", "status": referral.status == .draft ? "draft" : "active", "intent": "proposal",
                "code": ["text": "Referral to \(referral.provider)"], "subject": ["reference": patient],
                "authoredOn": referral.date.description,
            ]
            if let therapist { request["requester"] = ["reference": therapist] }
            if referral.provider == s.addressee.name { request["performer"] = [["reference": addressee]] }
            if let body = referral.body { request["note"] = [["text": body]] }
            requests.append(add(request))
        }

        let div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + Section.all(s).map { section in
            "<h3>\(HTMLRenderer.escape(section.title))</h3>" + section.paragraphs.map { "<p>\(HTMLRenderer.escape($0))</p>" }.joined()
        }.joined() + "</div>"
        var sections: [[String: Any]] = [["title": "Summary", "text": ["status": "generated", "div": div]]]
        if !encounters.isEmpty { sections.append(["title": "Sessions", "entry": s.completed.compactMap { encounters[$0.appointmentID] }.map { ["reference": $0] }]) }
        if !observations.isEmpty { sections.append(["title": "Pain scores", "entry": observations.map { ["reference": $0] }]) }
        if !requests.isEmpty { sections.append(["title": "Prescription and referrals", "entry": requests.map { ["reference": $0] }]) }
        let composition: [String: Any] = [
            "resourceType": "Composition", "status": "final",
            "type": ["coding": [s.isReferral
                ? ["system": "http://loinc.org", "code": "57133-1", "display": "Referral note"]
                : ["system": "http://loinc.org", "code": "34133-9", "display": "Summary of episode note"]]],
            "subject": ["reference": patient], "date": iso.string(from: now),
            "author": [["reference": therapist ?? organization]], "custodian": ["reference": organization],
            "title": "\(s.title): \(s.client.name)", "section": sections,
        ]
        let compositionURL = "urn:uuid:\(UUID().uuidString.lowercased())"
        let bundle: [String: Any] = [
            "resourceType": "Bundle", "type": "document", "timestamp": iso.string(from: now),
            "identifier": ["system": "urn:ietf:rfc:3986", "value": "urn:uuid:\(UUID().uuidString.lowercased())"],
            "entry": [["fullUrl": compositionURL, "resource": composition]] + entries,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: bundle, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
