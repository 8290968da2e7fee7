package VCTest;
# Helpers shared by the API and admin acceptance tests: requests with any
# method through Apache::Test's user agent, raw-socket requests for request
# targets a client library would normalise or refuse to send, strict JSON
# decoding of replies, and admin shortcuts to read, set and list counts so
# a test can prove what was (or was not) stored.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use HTTP::Request ();
use HTTP::Response ();
use IO::Socket::INET ();
use JSON::PP ();
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(request raw_request json_of
                    admin_put admin_delete admin_counts stored_keys snapshot);

my $json = JSON::PP->new->utf8;

# Sends METHOD to path (relative to the test server) through the user
# agent Apache::TestRequest's GET and POST use.  Options: headers, a list
# of name => value pairs, and content, the body bytes.
sub request {
    my ($method, $path, %opt) = @_;
    my $req = HTTP::Request->new($method,
                                 Apache::TestRequest::resolve_url($path),
                                 $opt{headers} || []);
    if (defined $opt{content}) {
        $req->content($opt{content});
        $req->header('Content-Length' => length $opt{content});
    }
    Apache::TestRequest::user_agent();
    return Apache::TestRequest::user_agent()->request($req);
}

# Sends METHOD with the request target written byte for byte (no
# normalisation, no escaping) over a fresh connection and parses the reply.
# Options: headers (name => value pairs), content (the body; sent with a
# Content-Length, or with chunked => N in chunks of at most N bytes, or
# with raw_body => 1 exactly as given, framing and all), from (the loopback
# source address to send from, as 127.0.0.5).
sub raw_request {
    my ($method, $target, %opt) = @_;
    my $hostport = Apache::TestRequest::hostport();
    my @headers = (Host => $hostport, Connection => 'close',
                   @{ $opt{headers} || [] });
    my $body = '';

    if (defined $opt{content}) {
        if ($opt{raw_body}) {
            $body = $opt{content};      # as is: the caller wrote the framing
        }
        elsif ($opt{chunked}) {
            push @headers, 'Transfer-Encoding' => 'chunked';
            my $rest = $opt{content};
            while (length $rest) {
                my $chunk = substr $rest, 0, $opt{chunked}, '';
                $body .= sprintf "%x\r\n%s\r\n", length $chunk, $chunk;
            }
            $body .= "0\r\n\r\n";
        }
        else {
            push @headers, 'Content-Length' => length $opt{content};
            $body = $opt{content};
        }
    }
    my $text = "$method $target HTTP/1.1\r\n";
    while (my ($name, $value) = splice @headers, 0, 2) {
        $text .= "$name: $value\r\n";
    }
    $text .= "\r\n$body";

    my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 30,
                                     $opt{from} ? (LocalAddr => $opt{from}) : ())
        or die "cannot connect to $hostport: $!";
    binmode $sock;
    print $sock $text;
    my $reply = do { local $/; <$sock> };
    close $sock;
    return parse_reply(defined $reply ? $reply : '', $method);
}

# An HTTP::Response from the bytes of one reply, with a chunked body joined.
sub parse_reply {
    my ($reply, $method) = @_;
    my ($head, $body) = split /\r\n\r\n/, $reply, 2;
    my $res = HTTP::Response->parse("$head\r\n\r\n");

    $body = '' unless defined $body;
    if (lc($res->header('Transfer-Encoding') || '') eq 'chunked') {
        my $joined = '';
        while ($body =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $joined .= substr $body, 0, $n, '';
            $body =~ s/\A\r\n//;
        }
        $body = $joined;
    }
    $res->content($body);
    return $res;
}

# The reply body decoded as strict JSON (UTF-8, one value, nothing after it
# but whitespace), or undef when it is not valid JSON.
sub json_of {
    my $res = shift;
    my $data = eval { $json->decode($res->content) };
    return $data;
}

# PUT /admin/KEY with the given counts (unique may be undef, and any
# further arguments are request headers); returns the response.
sub admin_put {
    my ($key, $count, $unique, @headers) = @_;
    my $body = defined $unique ? qq({"count":$count,"unique":$unique})
                               : qq({"count":$count});
    return request(PUT => "/admin/$key", content => $body, headers => \@headers);
}

# DELETE /admin/KEY, with any further arguments as request headers.
sub admin_delete {
    my ($key, @headers) = @_;
    return request(DELETE => "/admin/$key", headers => \@headers);
}

# "count/unique" of a key as the admin API reads it, or a note saying why
# it could not be read, so a comparison shows what went wrong.
sub admin_counts {
    my $key = shift;
    my $res = request(GET => "/admin/$key");
    my $data = json_of($res);
    return 'status ' . $res->code unless $res->code == 200 && $data;
    return "$data->{count}/$data->{unique}";
}

# Every stored key that starts with prefix, in listing order, following
# "next" page by page; undef when a page cannot be read.
sub stored_keys {
    my $prefix = shift;
    my (@keys, $after);

    for (;;) {
        my $query = "prefix=$prefix&limit=1000";
        $query .= "&after=$after" if defined $after;
        my $res = request(GET => "/admin/?$query");
        my $page = json_of($res);
        return undef unless $res->code == 200 && ref $page eq 'HASH';
        push @keys, map { $_->{key} } @{ $page->{keys} };
        return \@keys unless defined $page->{next};
        $after = $page->{next};
    }
}

# One string naming every stored key under prefix with its counts, to show
# that a refused request changed nothing.
sub snapshot {
    my $prefix = shift;
    my $res = request(GET => "/admin/?prefix=$prefix&limit=1000");
    my $page = json_of($res);
    return 'unreadable' unless $res->code == 200 && ref $page eq 'HASH';
    return join ' ', map { "$_->{key}=$_->{count}/$_->{unique}" }
                     @{ $page->{keys} };
}

1;
