#!/usr/bin/perl
# Verifies every DKIM-Signature of the message on stdin with Perl Mail::DKIM, DNS given offline.
# usage: maildkim_verify.pl NAME=VALUE...   Prints one line per signature; exit 0 only if there is
# at least one signature and all pass. The message is read as bytes: line endings are not fixed up,
# so a bare LF that the signer left in place fails here (Mail::DKIM is strict, unlike dkimpy).
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;
use Net::DNS::Packet;
use Net::DNS::RR;

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

binmode STDIN;
my $dkim = Mail::DKIM::Verifier->new();
while (read(STDIN, my $chunk, 65536)) {
    $dkim->PRINT($chunk);
}
$dkim->CLOSE();

my @signatures = $dkim->signatures;
my $ok = @signatures > 0;
for my $signature (@signatures) {
    my $result = $signature->result;
    my $detail = $signature->result_detail;
    printf "%s d=%s s=%s a=%s %s\n", ($result eq 'pass' ? 'pass' : 'fail'),
        $signature->domain, $signature->selector, $signature->algorithm, $detail;
    $ok = 0 unless $result eq 'pass';
}
print "fail no DKIM-Signature\n" unless @signatures;
exit($ok ? 0 : 1);
