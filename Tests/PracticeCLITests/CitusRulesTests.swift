import Foundation
import PostgresNIO
import PracticeStore
import PracticeTestSupport
import Testing

/// Issue 12, part 8: the schema and `deploy/citus/distribute.sql` against the rules Citus checks
/// when it distributes a table. Citus is not packaged for Debian, so no test runs it; these read
/// the same facts from the catalog of a freshly migrated database:
///
/// - every table in `public` is named once in the script, distributed on practice_id or made a
///   reference table, and the distributed ones form one co-location group;
/// - on a distributed table, every primary key, unique constraint and unique index (partial and
///   expression ones too) has practice_id as a key column, and every exclusion constraint
///   compares practice_id with `=`;
/// - a foreign key between distributed tables pairs practice_id with practice_id at the same
///   position, and one that includes practice_id neither sets it NULL or DEFAULT nor cascades an
///   update into it; no reference table has a foreign key to a distributed table; every table
///   comes after the tables its foreign keys point to;
/// - no row-level security policy on them has a subquery.
@Suite("Citus distribution rules", .timeLimit(.minutes(5)))
struct CitusRulesTests {
    static let distributionColumn = "practice_id"
    static let scriptName = "deploy/citus/distribute.sql"

    /// The script, found from this file's place in the repository.
    static func script() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(scriptName), encoding: .utf8)
    }

    /// The script's create_reference_table and create_distributed_table calls, in order.
    struct Plan: Sendable {
        struct Call: Sendable, Equatable {
            var table: String
            /// The distribution column; nil for a reference table.
            var column: String?
            var colocateWith: String?
            var isReference: Bool { column == nil }
        }

        var calls: [Call] = []
        /// Lines that call one of the functions in a form this reader does not know: reported,
        /// never skipped.
        var unreadable: [String] = []
        var enablesUnsafeTriggers = false

        var distributed: [Call] { calls.filter { !$0.isReference } }
        func position(of table: String) -> Int? { calls.firstIndex { $0.table == table } }
        func isReference(_ table: String) -> Bool { calls.contains { $0.table == table && $0.isReference } }
        func isDistributed(_ table: String) -> Bool { calls.contains { $0.table == table && !$0.isReference } }

        init(script: String) throws {
            let call = try Regex(#"create_(distributed|reference)_table\s*\(\s*'([^']+)'\s*(?:,\s*'([^']+)'\s*)?(?:,\s*colocate_with\s*=>\s*'([^']+)'\s*)?\)"#)
                .ignoresCase()
            let mention = try Regex(#"create_(distributed|reference)_table\s*\("#).ignoresCase()
            let unsafeTriggers = try Regex(#"set\s+(local\s+)?citus\.enable_unsafe_triggers\s*(to|=)\s*'?(on|true)'?"#)
                .ignoresCase()
            for line in script.split(separator: "\n") {
                // Comments out: the header names the functions too.
                let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line
                if code.contains(unsafeTriggers) { enablesUnsafeTriggers = true }
                let matches = code.matches(of: call)
                if matches.isEmpty {
                    if code.contains(mention) { unreadable.append(String(code)) }
                    continue
                }
                for match in matches {
                    var table = (match.output[2].substring.map(String.init) ?? "").lowercased()
                    if table.hasPrefix("public.") { table.removeFirst("public.".count) }
                    let isReference = match.output[1].substring?.lowercased() == "reference"
                    calls.append(Call(table: table,
                                      column: isReference ? nil : match.output[3].substring.map(String.init),
                                      colocateWith: match.output[4].substring.map { $0.lowercased() }))
                }
            }
        }
    }

    /// What the rules need from a migrated database's catalog, schema `public`.
    struct Catalog: Sendable {
        struct Column: Sendable {
            var notNull: Bool
            var generated: Bool
            var type: String
        }
        /// A primary key (p), unique constraint (u) or exclusion constraint (x).
        struct Key: Sendable {
            var table: String
            var name: String
            var kind: String
            /// In order; "(expression)" where an element is not a plain column.
            var columns: [String]
            /// An exclusion constraint's operator for each element; empty otherwise.
            var operators: [String]
            var definition: String
        }
        /// A unique index no constraint stands for: partial and expression indexes.
        struct UniqueIndex: Sendable {
            var table: String
            var name: String
            var keyColumns: [String]
            var definition: String
        }
        struct ForeignKey: Sendable {
            var table: String
            var name: String
            var referenced: String
            var columns: [String]
            var referencedColumns: [String]
            var onUpdate: String
            var onDelete: String
        }
        struct Policy: Sendable {
            var table: String
            var name: String
            var hasSubquery: Bool
        }

        var tables: [String] = []
        /// Each table's practice_id, where it has one.
        var distributionColumns: [String: Column] = [:]
        var keys: [Key] = []
        var uniqueIndexes: [UniqueIndex] = []
        var foreignKeys: [ForeignKey] = []
        var policies: [Policy] = []
        var tablesWithTriggers: Set<String> = []

        static func read(from url: DatabaseURL) async throws -> Catalog {
            try await PracticeDatabase.withDatabase(url: url, logger: TestDatabase.logger) { database in
                try await database.client.withConnection { connection in try await Catalog.read(on: connection) }
            }
        }

        static func read(on connection: PostgresConnection) async throws -> Catalog {
            let logger = TestDatabase.logger
            var catalog = Catalog()
            for try await table in try await connection.query("""
                SELECT c.relname::text FROM pg_catalog.pg_class AS c
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')
                ORDER BY 1
                """, logger: logger).decode(String.self) {
                catalog.tables.append(table)
            }
            for try await (table, notNull, generated, type) in try await connection.query("""
                SELECT c.relname::text, a.attnotnull, a.attgenerated <> '', pg_catalog.format_type(a.atttypid, a.atttypmod)
                FROM pg_catalog.pg_attribute AS a
                JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'practice_id' AND NOT a.attisdropped
                """, logger: logger).decode((String, Bool, Bool, String).self) {
                catalog.distributionColumns[table] = Column(notNull: notNull, generated: generated, type: type)
            }
            for try await (table, name, kind, columns, operators, definition) in try await connection.query("""
                SELECT c.relname::text, con.conname::text, con.contype::text,
                       ARRAY(SELECT coalesce(a.attname::text, '(expression)')
                             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                             LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                             ORDER BY k.n),
                       ARRAY(SELECT coalesce(o.oprname::text, '?')
                             FROM unnest(con.conexclop) WITH ORDINALITY AS x(op, n)
                             LEFT JOIN pg_catalog.pg_operator AS o ON o.oid = x.op
                             ORDER BY x.n),
                       pg_catalog.pg_get_constraintdef(con.oid)
                FROM pg_catalog.pg_constraint AS con
                JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                WHERE s.nspname = 'public' AND con.contype IN ('p', 'u', 'x')
                ORDER BY 1, 2
                """, logger: logger).decode((String, String, String, [String], [String], String).self) {
                catalog.keys.append(Key(table: table, name: name, kind: kind, columns: columns, operators: operators,
                                        definition: definition))
            }
            // Key columns only (INCLUDE columns enforce nothing); an expression's slot is 0 in indkey.
            for try await (table, name, keyColumns, definition) in try await connection.query("""
                SELECT c.relname::text, ic.relname::text,
                       ARRAY(SELECT coalesce(a.attname::text, '(expression)')
                             FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
                             LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                             ORDER BY k.n),
                       pg_catalog.pg_get_indexdef(i.indexrelid)
                FROM pg_catalog.pg_index AS i
                JOIN pg_catalog.pg_class AS c ON c.oid = i.indrelid
                JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                WHERE s.nspname = 'public' AND (i.indisunique OR i.indisexclusion)
                  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS k
                                  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
                ORDER BY 1, 2
                """, logger: logger).decode((String, String, [String], String).self) {
                catalog.uniqueIndexes.append(UniqueIndex(table: table, name: name, keyColumns: keyColumns, definition: definition))
            }
            for try await (table, name, referenced, columns, referencedColumns, onUpdate, onDelete) in try await connection.query("""
                SELECT c.relname::text, con.conname::text,
                       CASE WHEN rs.nspname = 'public' THEN r.relname::text ELSE rs.nspname || '.' || r.relname END,
                       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                             JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                             ORDER BY k.n),
                       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
                             JOIN pg_catalog.pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                             ORDER BY k.n),
                       con.confupdtype::text, con.confdeltype::text
                FROM pg_catalog.pg_constraint AS con
                JOIN pg_catalog.pg_class AS c ON c.oid = con.conrelid
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                JOIN pg_catalog.pg_class AS r ON r.oid = con.confrelid
                JOIN pg_catalog.pg_namespace AS rs ON rs.oid = r.relnamespace
                WHERE s.nspname = 'public' AND con.contype = 'f'
                ORDER BY 1, 2
                """, logger: logger).decode((String, String, String, [String], [String], String, String).self) {
                catalog.foreignKeys.append(ForeignKey(table: table, name: name, referenced: referenced, columns: columns,
                                                      referencedColumns: referencedColumns, onUpdate: onUpdate, onDelete: onDelete))
            }
            // A policy's expression as stored (pg_node_tree): a subquery is a SUBLINK node.
            for try await (table, name, hasSubquery) in try await connection.query("""
                SELECT c.relname::text, p.polname::text,
                       position('{SUBLINK' IN coalesce(p.polqual::text, '') || coalesce(p.polwithcheck::text, '')) > 0
                FROM pg_catalog.pg_policy AS p
                JOIN pg_catalog.pg_class AS c ON c.oid = p.polrelid
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                WHERE s.nspname = 'public'
                ORDER BY 1, 2
                """, logger: logger).decode((String, String, Bool).self) {
                catalog.policies.append(Policy(table: table, name: name, hasSubquery: hasSubquery))
            }
            for try await table in try await connection.query("""
                SELECT DISTINCT c.relname::text FROM pg_catalog.pg_trigger AS t
                JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
                JOIN pg_catalog.pg_namespace AS s ON s.oid = c.relnamespace
                WHERE s.nspname = 'public' AND NOT t.tgisinternal
                """, logger: logger).decode(String.self) {
                catalog.tablesWithTriggers.insert(table)
            }
            return catalog
        }
    }

    /// Every rule `plan` and `catalog` break, one line each, naming the table and the constraint.
    static func violations(_ plan: Plan, _ catalog: Catalog) -> [String] {
        let column = distributionColumn
        let file = scriptName
        var found: [String] = []

        // The script: one readable call per table, for every table.
        for line in plan.unreadable {
            found.append("\(file): cannot read `\(line.trimmingCharacters(in: .whitespaces))`; write one call per line, "
                         + "as create_distributed_table('t', '\(column)', colocate_with => 'staff')")
        }
        for table in catalog.tables {
            let count = plan.calls.filter { $0.table == table }.count
            if count == 0 {
                found.append("\(table) is not in \(file): distribute it on \(column) (or make it a reference table)")
            } else if count > 1 {
                found.append("\(table) is named \(count) times in \(file); name it once")
            }
        }
        for call in plan.calls where !catalog.tables.contains(call.table) {
            found.append("\(file) names \(call.table), which the migrated schema does not have")
        }

        // One co-location group, on practice_id, of one type.
        let distributed = plan.distributed
        guard let first = distributed.first else {
            found.append("\(file) distributes no table")
            return found
        }
        let firstType = catalog.distributionColumns[first.table]?.type
        for (index, call) in distributed.enumerated() {
            if call.column != column {
                found.append("\(call.table) is distributed on \(call.column ?? "nothing"), not \(column)")
            }
            if index == 0 {
                if call.colocateWith != "none" {
                    found.append("\(call.table), the first distributed table, should start the co-location group "
                                 + "(colocate_with => 'none'), not \(call.colocateWith.map { "'\($0)'" } ?? "the default")")
                }
            } else if !distributed[..<index].contains(where: { $0.table == call.colocateWith }) {
                found.append("\(call.table) is not co-located with the tables before it: colocate_with => '\(first.table)', "
                             + "not \(call.colocateWith.map { "'\($0)'" } ?? "the default")")
            }
            guard catalog.tables.contains(call.table) else { continue }
            guard let attribute = catalog.distributionColumns[call.table] else {
                found.append("\(call.table) is distributed but has no \(column) column")
                continue
            }
            if !attribute.notNull { found.append("\(call.table).\(column) may be NULL; a distribution column should be NOT NULL") }
            if attribute.generated { found.append("\(call.table).\(column) is a generated column; Citus cannot distribute on one") }
            if let firstType, attribute.type != firstType {
                found.append("\(call.table).\(column) is \(attribute.type) but \(first.table).\(column) is \(firstType); "
                             + "co-located tables need one type")
            }
        }
        let triggered = plan.calls.map(\.table).filter { catalog.tablesWithTriggers.contains($0) }
        if !triggered.isEmpty && !plan.enablesUnsafeTriggers {
            found.append("\(triggered.joined(separator: ", ")) have triggers: \(file) must SET LOCAL "
                         + "citus.enable_unsafe_triggers TO on, or Citus refuses to distribute them")
        }

        // Keys of distributed tables include practice_id; exclusion constraints compare it with =.
        for key in catalog.keys where plan.isDistributed(key.table) {
            switch key.kind {
            case "x":
                if !zip(key.columns, key.operators).contains(where: { pair in pair.0 == column && pair.1 == "=" }) {
                    found.append("\(key.table): exclusion constraint \(key.name), \(key.definition), does not compare \(column) with =")
                }
            default:
                if !key.columns.contains(column) {
                    let kind = key.kind == "p" ? "primary key" : "unique constraint"
                    found.append("\(key.table): \(kind) \(key.name), \(key.definition), does not include \(column)")
                }
            }
        }
        for index in catalog.uniqueIndexes where plan.isDistributed(index.table) && !index.keyColumns.contains(column) {
            found.append("\(index.table): unique index \(index.name), \(index.definition), does not have \(column) as a key column")
        }

        // Foreign keys: distributed to distributed on practice_id, never reference to distributed,
        // and never to a table the script has not reached yet.
        let actions = ["a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"]
        for key in catalog.foreignKeys {
            let description = "foreign key \(key.name) (\(key.columns.joined(separator: ", ")) → "
                + "\(key.referenced) (\(key.referencedColumns.joined(separator: ", "))))"
            if plan.isReference(key.table) && plan.isDistributed(key.referenced) {
                found.append("\(key.table): \(description) goes from a reference table to a distributed table, which Citus refuses")
            }
            if plan.isDistributed(key.table) && plan.isDistributed(key.referenced) {
                let here = key.columns.firstIndex(of: column)
                if here == nil || here != key.referencedColumns.firstIndex(of: column) {
                    found.append("\(key.table): \(description) does not pair \(column) with \(key.referenced).\(column) "
                                 + "at the same position")
                }
            }
            if plan.isDistributed(key.table) && key.columns.contains(column)
                && (["n", "d"].contains(key.onDelete) || ["n", "d", "c"].contains(key.onUpdate)) {
                found.append("\(key.table): \(description) includes \(column) and has ON DELETE "
                             + "\(actions[key.onDelete] ?? key.onDelete), ON UPDATE \(actions[key.onUpdate] ?? key.onUpdate); "
                             + "Citus refuses SET NULL, SET DEFAULT and ON UPDATE CASCADE on it")
            }
            if key.referenced != key.table, let here = plan.position(of: key.table),
               let there = plan.position(of: key.referenced), there > here {
                found.append("\(key.table) comes before \(key.referenced) in \(file), but its \(description) points to it")
            }
        }

        // Row-level security without subqueries.
        for policy in catalog.policies where policy.hasSubquery && plan.position(of: policy.table) != nil {
            found.append("\(policy.table): policy \(policy.name) has a subquery, which Citus refuses on its tables")
        }
        return found
    }

    @Test("distribute.sql names every table once, co-located on practice_id, and the schema keeps Citus' rules")
    func theSchemaCanBeDistributed() async throws {
        let plan = try Plan(script: Self.script())
        #expect(plan.distributed.count > 1, "\(Self.scriptName) distributes \(plan.distributed.count) tables")
        let url = try await TestDatabase.create()
        let catalog = try await Catalog.read(from: url)
        #expect(catalog.tables.count > 1)
        let broken = Self.violations(plan, catalog)
        #expect(broken.isEmpty, "\(broken.count) of Citus' rules broken:\n\(broken.joined(separator: "\n"))")
    }

    @Test("the rules catch a key without practice_id, a forgotten table and a script out of order")
    func theRulesCatchWhatCitusRefuses() async throws {
        let plan = try Plan(script: Self.script())
        let url = try await TestDatabase.create()
        let owner = try TestDatabase.owner(of: url)
        // What a careless migration could do, one rule each.
        let changes = [
            "ALTER TABLE clients ADD CONSTRAINT clients_email_key UNIQUE (email)",
            "CREATE UNIQUE INDEX providers_email_key ON providers (lower(email)) WHERE email IS NOT NULL",
            "ALTER TABLE working_hours ADD CONSTRAINT working_hours_not_same EXCLUDE USING gist "
                + "(practice_id WITH <>, therapist_id WITH =)",
            "ALTER TABLE appointments ADD CONSTRAINT appointments_id_key UNIQUE (id)",
            "ALTER TABLE pain_reports ADD CONSTRAINT pain_reports_visit_fkey FOREIGN KEY (appointment_id) REFERENCES appointments (id)",
            "ALTER TABLE screenings ADD CONSTRAINT screenings_screener_fkey FOREIGN KEY (practice_id, screened_by) "
                + "REFERENCES staff (practice_id, id) ON DELETE SET NULL",
            "ALTER TABLE practices ADD COLUMN owner_id bigint, ADD CONSTRAINT practices_owner_fkey "
                + "FOREIGN KEY (id, owner_id) REFERENCES staff (practice_id, id)",
            "CREATE POLICY clients_with_staff ON clients USING (EXISTS (SELECT 1 FROM staff))",
            "CREATE TABLE gift_cards (practice_id bigint NOT NULL REFERENCES practices (id), "
                + "id bigint GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (practice_id, id))",
        ]
        try await PracticeDatabase.withDatabase(url: owner, logger: TestDatabase.logger) { database in
            try await database.client.withConnection { connection in
                for change in changes {
                    try await connection.query(PostgresQuery(unsafeSQL: change), logger: TestDatabase.logger)
                }
            }
        }
        let catalog = try await Catalog.read(from: url)
        let broken = Self.violations(plan, catalog).joined(separator: "\n")
        for name in ["clients_email_key", "providers_email_key", "working_hours_not_same", "appointments_id_key",
                     "pain_reports_visit_fkey", "screenings_screener_fkey", "practices_owner_fkey", "clients_with_staff",
                     "gift_cards is not in"] {
            #expect(broken.contains(name), "no violation names \(name):\n\(broken)")
        }

        // A script that forgets clients, puts note_addenda before session_notes, starts a second
        // co-location group with providers and leaves triggers off.
        var careless = plan
        careless.calls.removeAll { $0.table == "clients" }
        if let addenda = careless.calls.firstIndex(where: { $0.table == "note_addenda" }),
           let notes = careless.calls.firstIndex(where: { $0.table == "session_notes" }) {
            let call = careless.calls.remove(at: addenda)
            careless.calls.insert(call, at: min(notes, careless.calls.count))
        }
        if let providers = careless.calls.firstIndex(where: { $0.table == "providers" }) {
            careless.calls[providers].colocateWith = "none"
        }
        careless.enablesUnsafeTriggers = false
        let wrong = Self.violations(careless, catalog).joined(separator: "\n")
        for phrase in ["clients is not in", "note_addenda comes before session_notes", "providers is not co-located",
                       "citus.enable_unsafe_triggers"] {
            #expect(wrong.contains(phrase), "no violation says \(phrase):\n\(wrong)")
        }
    }
}
