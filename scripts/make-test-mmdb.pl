#!/usr/bin/env perl
# Writes a small MaxMind DB (GeoIP2-City shaped) for tests:
#
#     make-test-mmdb.pl OUTPUT.mmdb SPEC
#
# SPEC is JSON text (starting with '{'), a file holding it, or '-' for standard input:
#
#     { "192.0.2.0/24":    { "country": "US", "subdivision": "TX" },
#       "2001:db8:1::/48": { "country": "DE" } }
#
# Each network gets the record { country: { iso_code }, subdivisions: [ { iso_code } ] } (subdivisions only when
# given; the subdivision is without its country, as in GeoIP2: "TX", not "US-TX"). The database is IPv6 with the
# IPv4 space in ::/96 (and aliased from ::ffff:0:0/96), so both IPv4 and IPv6 lookups work. Reserved networks
# (documentation ranges, loopback...) are kept, since tests use them.
#
# Needs Debian's libmaxmind-db-writer-perl; exits 3 with a message saying so when it is missing.
use strict;
use warnings;
use JSON::PP ();

BEGIN {
    unless (eval { require MaxMind::DB::Writer::Tree; 1 }) {
        print STDERR "make-test-mmdb.pl: the Perl module MaxMind::DB::Writer::Tree is missing: "
            . "install the Debian package libmaxmind-db-writer-perl (apt-get install libmaxmind-db-writer-perl)\n";
        exit 3;
    }
}

sub usage {
    print STDERR "usage: make-test-mmdb.pl OUTPUT.mmdb SPEC (JSON text, a JSON file, or - for stdin)\n";
    exit 2;
}

usage() unless @ARGV == 2;
my ($output, $source) = @ARGV;

my $text;
if ($source =~ /^\s*\{/) {
    $text = $source;
} else {
    local $/;
    my $in;
    if ($source eq '-') {
        $in = \*STDIN;
    } else {
        open($in, '<', $source) or die "make-test-mmdb.pl: cannot read $source: $!\n";
    }
    $text = <$in>;
}
my $spec = eval { JSON::PP->new->decode($text) };
die "make-test-mmdb.pl: the spec is not JSON: $@" unless defined $spec;
die "make-test-mmdb.pl: the spec must be an object of network => { country, subdivision }\n"
    unless ref $spec eq 'HASH';

my %types = (
    country      => 'map',
    subdivisions => [ 'array', 'map' ],
    iso_code     => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'GeoIP2-City',
    languages                => ['en'],
    description              => { en => 'edgetm test database' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    alias_ipv6_to_ipv4       => 1,
    remove_reserved_networks => 0,
);

# Shorter prefixes first, so that more specific networks are inserted over them.
my @networks = sort { (split m{/}, $a)[1] <=> (split m{/}, $b)[1] or $a cmp $b } keys %{$spec};
for my $network (@networks) {
    my $entry = $spec->{$network};
    die "make-test-mmdb.pl: $network: the value must be an object with \"country\"\n"
        unless ref $entry eq 'HASH' && defined $entry->{country};
    die "make-test-mmdb.pl: $network is not ADDRESS/PREFIX\n" unless $network =~ m{^[0-9A-Fa-f:.]+/\d+$};
    my %record = (country => { iso_code => $entry->{country} });
    if (defined $entry->{subdivision}) {
        $record{subdivisions} = [ { iso_code => $entry->{subdivision} } ];
    }
    $tree->insert_network($network, \%record);
}

open(my $out, '>:raw', $output) or die "make-test-mmdb.pl: cannot write $output: $!\n";
$tree->write_tree($out);
close($out) or die "make-test-mmdb.pl: cannot write $output: $!\n";
exit 0;
