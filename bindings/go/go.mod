module libnetpol.dev/netpol

go 1.19
