module libnetpol.dev/examples

go 1.19

require libnetpol.dev/netpol v0.0.0

replace libnetpol.dev/netpol => ../../bindings/go
