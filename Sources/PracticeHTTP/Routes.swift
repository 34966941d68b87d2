import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PracticeAPI
import PracticeCore

/// A JSON value, Sendable, for the contract and for request bodies.
indirect enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// The OpenAPI document as the server enforces it: which paths take which methods, and what
/// each operation's parameters and JSON body must look like. The generated code checks types;
/// this checks the rest of the schema (lengths, ranges, patterns, enums, required and unknown
/// fields, `null`), so every request the document refuses is refused with 400 naming the field.
struct Contract: Sendable {
    struct Parameter: Sendable {
        var name: String
        var location: String
        var required: Bool
        var schema: JSONValue
    }

    struct Operation: Sendable {
        var parameters: [Parameter]
        var body: JSONValue?
        var bodyRequired: Bool
    }

    struct Route: Sendable {
        var template: String
        var segments: [String]
        var operations: [String: Operation]

        func matches(_ path: String) -> Bool {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard parts.count == segments.count else { return false }
            return zip(parts, segments).allSatisfy { part, segment in
                segment.hasPrefix("{") ? !part.isEmpty : part == segment
            }
        }
    }

    let routes: [Route]
    let components: JSONValue

    static let document: Contract = {
        let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(PracticeAPIDocument.json.utf8))
        return Contract(decoded ?? .object([:]))
    }()

    init(_ document: JSONValue) {
        let components = document["components"] ?? .object([:])
        self.components = components
        var routes: [Route] = []
        for (template, item) in document["paths"]?.object ?? [:] {
            let shared = item["parameters"]?.array ?? []
            var operations: [String: Operation] = [:]
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] else { continue }
                let parameters = (shared + (operation["parameters"]?.array ?? [])).compactMap { Self.parameter($0, components: components) }
                let body = operation["requestBody"]
                operations[method.uppercased()] = Operation(parameters: parameters, body: body?["content"]?["application/json"]?["schema"],
                                                            bodyRequired: body?["required"]?.bool ?? false)
            }
            routes.append(Route(template: template, segments: template.split(separator: "/").map(String.init), operations: operations))
        }
        // Literal segments before templated ones: /clients/{id} never shadows a fixed path.
        self.routes = routes.sorted { $0.segments.filter { $0.hasPrefix("{") }.count < $1.segments.filter { $0.hasPrefix("{") }.count }
    }

    static func parameter(_ value: JSONValue, components: JSONValue) -> Parameter? {
        var value = value
        if let reference = value["$ref"]?.string, let name = reference.split(separator: "/").last {
            guard let resolved = components["parameters"]?[String(name)] else { return nil }
            value = resolved
        }
        guard let name = value["name"]?.string, let location = value["in"]?.string else { return nil }
        return Parameter(name: name, location: location, required: value["required"]?.bool ?? false,
                         schema: value["schema"] ?? .object([:]))
    }

    func route(for path: String) -> Route? { routes.first { $0.matches(path) } }

    /// The methods a path takes, or nil when no route has that path.
    func methods(for path: String) -> [String]? { route(for: path).map { $0.operations.keys.sorted() } }
}

/// Refuses, with 400 and the field's name, any request the OpenAPI document refuses.
struct ContractMiddleware<Context: RequestContext>: RouterMiddleware {
    let contract: Contract
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let route = contract.route(for: request.uri.path), let operation = route.operations[request.method.rawValue] else {
            return try await next(request, context)
        }
        let checker = SchemaChecker(components: contract.components)
        let query = request.uri.queryParameters
        let pathParts = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for parameter in operation.parameters {
            let raw: String?
            switch parameter.location {
            case "query": raw = query[parameter.name[...]].map(String.init)
            case "header": raw = HTTPField.Name(parameter.name).flatMap { request.headers[$0] }
            case "path":
                let index = route.segments.firstIndex(of: "{\(parameter.name)}")
                raw = index.flatMap { pathParts.count > $0 ? String(pathParts[pathParts.startIndex + $0]).removingPercentEncoding : nil }
            default: raw = nil
            }
            guard let raw else {
                if parameter.required { throw APIError.badParameter(field: parameter.name, reason: "is required") }
                continue
            }
            try checker.check(checker.typed(raw, schema: parameter.schema, field: parameter.name), against: parameter.schema,
                              field: parameter.name)
        }
        guard let schema = operation.body else { return try await next(request, context) }
        var request = request
        let buffer = try await request.collectBody(upTo: maxBytes)
        if buffer.readableBytes == 0 {
            if operation.bodyRequired { throw APIError.badParameter(field: "body", reason: "is required (application/json)") }
            return try await next(request, context)
        }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw APIError.unsupportedMediaType("the body must be application/json")
        }
        guard let body = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer)) else {
            throw APIError.badParameter(field: "body", reason: "is not valid JSON")
        }
        try checker.check(body, against: schema, field: "")
        return try await next(request, context)
    }
}

/// JSON Schema, the parts the document uses.
struct SchemaChecker {
    let components: JSONValue

    func resolve(_ schema: JSONValue) -> JSONValue {
        guard let reference = schema["$ref"]?.string, let name = reference.split(separator: "/").last,
              let resolved = components["schemas"]?[String(name)] else { return schema }
        return resolve(resolved)
    }

    func types(of schema: JSONValue) -> [String] {
        if let one = schema["type"]?.string { return [one] }
        return schema["type"]?.array?.compactMap(\.string) ?? []
    }

    /// A query, path or header value, read as the type its schema names.
    func typed(_ raw: String, schema: JSONValue, field: String) throws -> JSONValue {
        let schema = resolve(schema)
        switch types(of: schema).first {
        case "integer":
            guard let value = Int64(raw) else { throw APIError.badParameter(field: field, reason: "must be a whole number") }
            return .integer(value)
        case "boolean":
            guard raw == "true" || raw == "false" else { throw APIError.badParameter(field: field, reason: "must be true or false") }
            return .bool(raw == "true")
        default:
            return .string(raw)
        }
    }

    func fail(_ field: String, _ reason: String) -> APIError {
        .badParameter(field: field.isEmpty ? "body" : field, reason: reason)
    }

    func check(_ value: JSONValue, against schema: JSONValue, field: String) throws {
        let schema = resolve(schema)
        let allowed = types(of: schema)
        if !allowed.isEmpty, !allowed.contains(where: { value.isA($0) }) {
            if case .null = value { throw fail(field, "must not be null; leave it out instead") }
            throw fail(field, "must be \(allowed.filter { $0 != "null" }.joined(separator: " or "))")
        }
        if let choices = schema["enum"]?.array, !choices.contains(value) {
            throw fail(field, "must be one of \(choices.compactMap(\.string).joined(separator: ", "))")
        }
        switch value {
        case .string(let text): try checkString(text, schema, field)
        case .integer, .number: try checkNumber(value.double ?? 0, schema, field)
        case .array(let items): try checkArray(items, schema, field)
        case .object(let object): try checkObject(object, schema, field)
        case .null, .bool: break
        }
    }

    func checkString(_ text: String, _ schema: JSONValue, _ field: String) throws {
        let length = text.unicodeScalars.count
        if let minimum = schema["minLength"]?.double, Double(length) < minimum { throw fail(field, "must not be empty") }
        if let maximum = schema["maxLength"]?.double, Double(length) > maximum {
            throw fail(field, "must be at most \(Int(maximum)) characters")
        }
        if let pattern = schema["pattern"]?.string, text.range(of: pattern, options: .regularExpression) == nil {
            throw fail(field, "does not have the expected form (\(pattern))")
        }
        if schema["format"]?.string == "date", !Self.isFullDate(text) {
            throw fail(field, "must be a date, YYYY-MM-DD")
        }
    }

    /// RFC 3339's full-date, any year: whether the service takes that year is its own rule (422).
    static func isFullDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              text.utf8.allSatisfy({ $0 == 0x2D || ($0 >= 0x30 && $0 <= 0x39) }), (1...12).contains(month), day >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    func checkNumber(_ number: Double, _ schema: JSONValue, _ field: String) throws {
        if let minimum = schema["minimum"]?.double, number < minimum { throw fail(field, "must be at least \(Self.format(minimum))") }
        if let maximum = schema["maximum"]?.double, number > maximum { throw fail(field, "must be at most \(Self.format(maximum))") }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e16 ? String(Int64(number)) : String(number)
    }

    func checkArray(_ items: [JSONValue], _ schema: JSONValue, _ field: String) throws {
        if let minimum = schema["minItems"]?.double, Double(items.count) < minimum {
            throw fail(field, "must have at least \(Int(minimum)) item(s)")
        }
        if let maximum = schema["maxItems"]?.double, Double(items.count) > maximum {
            throw fail(field, "must have at most \(Int(maximum)) item(s)")
        }
        if schema["uniqueItems"]?.bool == true {
            for (index, item) in items.enumerated() where items[..<index].contains(item) {
                throw fail(field, "must not repeat an item")
            }
        }
        if let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { try check(item, against: itemSchema, field: "\(field)[\(index)]") }
        }
    }

    func checkObject(_ object: [String: JSONValue], _ schema: JSONValue, _ field: String) throws {
        let prefix = field.isEmpty ? "" : "\(field)."
        for name in schema["required"]?.array?.compactMap(\.string) ?? [] where object[name] == nil {
            throw fail(prefix + name, "is required")
        }
        if let minimum = schema["minProperties"]?.double, Double(object.count) < minimum {
            throw fail(field, "must have at least \(Int(minimum)) field(s)")
        }
        let properties = schema["properties"]?.object ?? [:]
        for name in object.keys.sorted() {
            if let propertySchema = properties[name] {
                try check(object[name] ?? .null, against: propertySchema, field: prefix + name)
            } else if schema["additionalProperties"]?.bool == false {
                throw fail(prefix + name, "is not a field this route takes")
            }
        }
    }
}

extension JSONValue {
    func isA(_ type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
             ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let value)): value.rounded() == value
        default: false
        }
    }
}
