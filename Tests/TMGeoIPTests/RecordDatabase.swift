import Foundation

/// A MaxMind DB of records given verbatim, written with Debian's libmaxmind-db-writer-perl. Unlike
/// `scripts/make-test-mmdb.pl` (country and subdivision only) it can hold `registered_country`, several
/// subdivisions and odd values, which the database reader's branches need.
enum RecordDatabase {
    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    /// The writer: JSON spec (network -> record) on stdin, the database file as the argument. IPv6 with the IPv4
    /// space aliased, reserved networks kept, as the end-to-end fixture does.
    static let writer = #"""
        use strict;
        use warnings;
        use JSON::PP ();
        use MaxMind::DB::Writer::Tree;
        my %types = (
            country => 'map', registered_country => 'map', subdivisions => ['array', 'map'],
            iso_code => 'utf8_string',
        );
        my $spec = JSON::PP->new->decode(do { local $/; <STDIN> });
        my $tree = MaxMind::DB::Writer::Tree->new(
            ip_version => 6, record_size => 24, database_type => 'GeoIP2-City', languages => ['en'],
            description => { en => 'edgetm TMGeoIP test database' },
            map_key_type_callback => sub { $types{ $_[0] } },
            alias_ipv6_to_ipv4 => 1, remove_reserved_networks => 0,
        );
        for my $network (sort { (split m{/}, $a)[1] <=> (split m{/}, $b)[1] or $a cmp $b } keys %{$spec}) {
            $tree->insert_network($network, $spec->{$network});
        }
        open(my $out, '>:raw', $ARGV[0]) or die "cannot write $ARGV[0]: $!\n";
        $tree->write_tree($out);
        close($out) or die "cannot write $ARGV[0]: $!\n";
        """#

    /// Writes `records` (network such as `192.0.2.0/24` -> GeoIP2-shaped record) to a new file and returns its path.
    static func write(_ records: [String: [String: Any]]) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("edgetm-geoip-tests-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("test.mmdb").path
        let spec = try JSONSerialization.data(withJSONObject: records, options: [.sortedKeys])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = ["-e", writer, path]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw WriteError(
                description: "cannot run /usr/bin/perl (\(error)): install perl and "
                    + "libmaxmind-db-writer-perl")
        }
        input.fileHandleForWriting.write(spec)
        try input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw WriteError(
                description: "writing \(path) failed (the Perl module MaxMind::DB::Writer::Tree is in "
                    + "Debian's libmaxmind-db-writer-perl): \(message)")
        }
        return path
    }
}
