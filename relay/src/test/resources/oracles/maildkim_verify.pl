#!/usr/bin/perl
# Verifies every DKIM-Signature of the message on stdin with Perl Mail::DKIM, DNS given offline.
# usage: maildkim_verify.pl [--dir DIR] NAME=VALUE...   Prints one line per signature; with --dir,
# verifies every file in DIR, each line starting "FILE: ". Exit 0 only if every message has at
# least one signature and all pass. The message is read as bytes: line endings are not fixed up,
# so a bare LF that the signer left in place fails here (Mail::DKIM is strict, unlike dkimpy).
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;
use Net::DNS::Packet;
use Net::DNS::RR;

my $directory;
if (@ARGV && $ARGV[0] eq '--dir') {
    shift @ARGV;
    $directory = shift @ARGV;
}
my %records;
for my $argument (@ARGV) {
    my ($name, $value) = split /=/, $argument, 2;
    $name = lc $name;
    $name =~ s/\.$//;
    $records{$name} = $value;
}

# Mail::DKIM looks keys up through Net::DNS: answer from the records given instead.
{
    no warnings qw(redefine once);
    *Net::DNS::Resolver::send = sub {
        my ($self, $name, $type) = @_;
        $name = lc $name;
        $name =~ s/\.$//;
        my $packet = Net::DNS::Packet->new($name, 'TXT');
        $packet->header->qr(1);
        $packet->header->rcode('NOERROR');
        if (exists $records{$name}) {
            my @strings = unpack '(a255)*', $records{$name};
            $packet->push(answer => Net::DNS::RR->new(
                name => $name, type => 'TXT', ttl => 60, txtdata => [@strings]));
        } else {
            $packet->header->rcode('NXDOMAIN');
        }
        return $packet;
    };
    *Net::DNS::Resolver::bgsend = sub { my $self = shift; return $self->send(@_); };
}

sub verify {
    my ($handle, $prefix) = @_;
    binmode $handle;
    my $dkim = Mail::DKIM::Verifier->new();
    while (read($handle, my $chunk, 65536)) {
        $dkim->PRINT($chunk);
    }
    $dkim->CLOSE();
    my @signatures = $dkim->signatures;
    my $ok = @signatures > 0;
    for my $signature (@signatures) {
        my $result = $signature->result;
        printf "%s%s d=%s s=%s a=%s %s\n", $prefix, ($result eq 'pass' ? 'pass' : 'fail'),
            $signature->domain, $signature->selector, $signature->algorithm,
            $signature->result_detail;
        $ok = 0 unless $result eq 'pass';
    }
    print "${prefix}fail no DKIM-Signature\n" unless @signatures;
    return $ok;
}

my $all_ok = 1;
if (defined $directory) {
    opendir(my $dir, $directory) or die "cannot read $directory: $!";
    for my $name (sort grep { -f "$directory/$_" } readdir $dir) {
        open(my $file, '<', "$directory/$name") or die "cannot read $name: $!";
        $all_ok = verify($file, "$name: ") && $all_ok;
        close $file;
    }
} else {
    $all_ok = verify(\*STDIN, '');
}
exit($all_ok ? 0 : 1);
