import ArgumentParser
import Foundation
import PracticeCore
import PracticeService
import PracticeStore

struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create a practice, with the evidence policy's default numbers.",
        discussion: "Example: practice setup --name \"Riverside Back Care\" --timezone America/New_York")

    @Option(help: "The practice's name (unique in this database).")
    var name: String
    @Option(help: ArgumentHelp("IANA time zone the practice books in, e.g. America/New_York.", valueName: "zone"))
    var timezone: String
    @Option(help: "The practice's (type 2, organisation) NPI, for superbills.") var npi: String?
    @Option(name: .customLong("tax-id"), help: "The practice's EIN, e.g. 12-3456789, for superbills.") var taxID: String?
    @Option(help: "Postal address, one line.") var address: String?
    @Option(help: "Phone number.") var phone: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let request = PracticeService.NewPracticeRequest(name: name, timeZone: timezone, npi: npi, taxID: taxID,
                                                         address: address, phone: phone)
        let practice = try await withService { try await $0.createPractice(request) }
        if output.json { return try Output.json(practice) }
        Output.line("created practice \(practice.id): \(practice.name) (\(practice.timeZone))")
        Output.line("next: add staff with `practice staff add --name NAME --role therapist --msk-years 3`")
    }
}

struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Owners, therapists and front-desk staff.",
        subcommands: [Add.self, List.self, Hours.self, Token.self, Tokens.self, RevokeToken.self])

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Issue a bearer token for the HTTP API, acting as this staff member with their role.",
            discussion: """
                The token is printed once, on stdout; only its SHA-256 is stored. Give it to the person whose \
                token it is, and have them send it as `Authorization: Bearer TOKEN`. It expires after --expires \
                days (at most 366) and can be revoked with `practice staff revoke-token ID`.
                Example: practice staff token 3 --expires 90d --label "front desk tablet"
                """)
        @Argument(help: ArgumentHelp("The staff member's id.", valueName: "staff"), transform: parseID) var staff: Int64
        @Option(help: ArgumentHelp("Days until it expires, e.g. 90d or 90.", valueName: "days")) var expires: String = "90d"
        @Option(help: "What the token is for, e.g. the device it lives on.") var label: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let text = expires.hasSuffix("d") ? String(expires.dropLast()) : expires
            guard let days = Int(text) else { throw PracticeError.invalid(field: "--expires", reason: "'\(expires)' is not a number of days such as 90d") }
            let (staff, label) = (staff, label)
            let issued = try await withService(options) { try await $0.issueToken(staffID: staff, days: days, label: label) }
            if options.json { return try Output.json(issued) }
            Output.line(issued.token)
            Output.write("token \(issued.record.id) for staff \(staff), expires \(issued.record.expiresAt.formatted(.iso8601)); "
                         + "it is shown only this once\n", to: STDERR_FILENO)
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tokens", abstract: "List API tokens (never the tokens themselves).")
        @Option(help: ArgumentHelp("Only this staff member's.", valueName: "staff"), transform: parseID) var staff: Int64?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let staff = staff
            let tokens = try await withService(options) { try await $0.tokens(staffID: staff) }
            if options.json { return try Output.json(tokens) }
            Output.table(["ID", "STAFF", "LABEL", "CREATED", "EXPIRES", "REVOKED"], tokens.map {
                [String($0.id), String($0.staffID), $0.label ?? "-", $0.createdAt.formatted(.iso8601),
                 $0.expiresAt.formatted(.iso8601), $0.revokedAt?.formatted(.iso8601) ?? "-"]
            })
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-token", abstract: "Revoke an API token at once; requests with it get 401.")
        @Argument(help: ArgumentHelp("The token's id (from `practice staff tokens`).", valueName: "id"), transform: parseID) var id: Int64
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let id = id
            let token = try await withService(options) { try await $0.revokeToken(id) }
            if options.json { return try Output.json(token) }
            Output.line("revoked token \(token.id) of staff \(token.staffID)")
        }
    }

    struct Hours: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hours",
            abstract: "Show a therapist's weekly working hours, or replace them with --set.",
            discussion: "Example: practice staff hours 2 --set \"mon-fri 09:00-17:00\" --set \"sat 10:00-14:00\"")
        @Argument(help: ArgumentHelp("The therapist's staff id.", valueName: "staff"), transform: parseID) var staff: Int64
        @Option(help: ArgumentHelp("Days and local hours, e.g. \"mon-fri 09:00-17:00\"; repeat for more.", valueName: "days hours"))
        var set: [String] = []
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let entries = try set.flatMap { text throws(PracticeError) in try WorkingHours.parse(text) }
            let staff = staff
            let hours = try await withService(options) {
                try await $0.workingHours(therapistID: staff, set: entries.isEmpty ? nil : entries)
            }
            if options.json { return try Output.json(hours) }
            if hours.isEmpty { Output.line("no working hours set; set them with --set \"mon-fri 09:00-17:00\"") }
            hours.forEach { Output.line("\(Weekday.name($0.weekday))  \($0.starts)–\($0.ends)") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a staff member.")
        @Option(help: "Full name.") var name: String
        @Option(help: "owner, therapist or front-desk.") var role: StaffRole
        @Option(name: .customLong("msk-years"),
                help: "Years specialising in musculoskeletal work (the evidence favours 2 or more).")
        var mskYears: Double?
        @Option(help: "Email address.") var email: String?
        @Option(help: "The therapist's own (type 1) NPI, for superbills.") var npi: String?
        @Option(help: "State massage-therapy license number, for superbills.") var license: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let request = PracticeService.NewStaffRequest(name: name, role: role, mskYears: mskYears, email: email, npi: npi,
                                                          license: license)
            let added = try await withService(options) { try await $0.addStaff(request) }
            let member = added.value
            if options.json { return try Output.json(member) }
            Output.line("added staff \(member.id): \(member.name) (\(member.role.cliName))")
            added.warnings.forEach(Output.warn)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List staff.")
        @Option(help: "Only this role.") var role: StaffRole?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let role = role
            let staff = try await withService(options) { try await $0.listStaff(role: role) }
            if options.json { return try Output.json(staff) }
            Output.table(["ID", "NAME", "ROLE", "MSK YEARS", "EMAIL"], staff.map {
                [String($0.id), $0.name, $0.role.cliName, $0.mskYears?.formatted1 ?? "-", $0.email ?? "-"]
            })
        }
    }
}

struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Physicians, physical therapists and spine specialists outside the practice.",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an external provider.")
        @Option(help: "Full name, e.g. \"Dr. Maya Chen\".") var name: String
        @Option(help: "physician, physical-therapist or spine-specialist.") var kind: ProviderKind
        @Option(help: "National Provider Identifier (10 digits, check digit verified).") var npi: String?
        @Option(help: "Clinic or hospital.") var clinic: String?
        @Option(help: "Phone number.") var phone: String?
        @Option(help: "Fax number (coordination summaries are often faxed).") var fax: String?
        @Option(help: "Email address.") var email: String?
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let new = try NewProvider(name: name, kind: kind, npi: npi, clinic: clinic, phone: phone, fax: fax, email: email)
            let provider = try await withService(options) { try await $0.addProvider(new) }
            if options.json { return try Output.json(provider) }
            Output.line("added provider \(provider.id): \(provider.name) (\(provider.kind.cliName))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List external providers.")
        @OptionGroup var options: PracticeOptions

        func run() async throws {
            let providers = try await withService(options) { try await $0.listProviders() }
            if options.json { return try Output.json(providers) }
            Output.table(["ID", "NAME", "KIND", "NPI", "CLINIC", "PHONE", "FAX"], providers.map {
                [String($0.id), $0.name, $0.kind.cliName, $0.npi ?? "-", $0.clinic ?? "-", $0.phone ?? "-", $0.fax ?? "-"]
            })
        }
    }
}
