use strict;
use warnings FATAL => 'all';
use Apache::Test;
use Apache::TestRequest qw(GET POST);
plan tests => 1;
ok POST('/api/visits/smoke')->code == 200;
