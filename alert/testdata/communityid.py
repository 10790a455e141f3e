#!/usr/bin/env python3
"""Independent derivation of Community ID v1 test vectors (hashlib only).

Written from the spec (github.com/corelight/community-id-spec): SHA1 over
seed (2 bytes, network order) . saddr . daddr . proto (1 byte) . 0 (1 byte)
. sport . dport (2 bytes each, network order), endpoints ordered so the
smaller (address, port) comes first unless the ICMP message is one-way,
then "1:" + base64. Run: python3 alert/testdata/communityid.py
The Go test TestCommunityIDVectors asserts the same values.
"""
import base64
import hashlib
import ipaddress
import struct

ICMP4 = {0: 8, 8: 0, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6 = {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133,
         135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144}
PORT_PROTOS = {1, 6, 17, 58, 132}


def cid(seed, saddr, daddr, proto, sport=None, dport=None):
    s = ipaddress.ip_address(saddr).packed
    d = ipaddress.ip_address(daddr).packed
    one_way = False
    if proto in (1, 58):
        table = ICMP4 if proto == 1 else ICMP6
        if sport in table:
            dport = table[sport]
        else:
            one_way = True
    ports = proto in PORT_PROTOS
    if not one_way:
        if not (s < d or (s == d and ports and sport < dport)):
            s, d, sport, dport = d, s, dport, sport
    data = struct.pack("!H", seed) + s + d + struct.pack("BB", proto, 0)
    if ports:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


CASES = [
    (0, "128.232.110.120", "66.35.250.204", 6, 34855, 80),
    (0, "66.35.250.204", "128.232.110.120", 6, 80, 34855),
    (1, "128.232.110.120", "66.35.250.204", 6, 34855, 80),
    (0, "10.0.0.1", "10.0.0.2", 6, 10, 11569),
    (0, "192.168.1.52", "8.8.8.8", 17, 54585, 53),
    (1, "8.8.8.8", "192.168.1.52", 17, 53, 54585),
    (0, "192.168.0.89", "192.168.0.1", 1, 8, 0),
    (0, "192.168.0.1", "192.168.0.89", 1, 0, 8),
    (0, "192.168.0.89", "192.168.0.1", 1, 20, 0),
    (0, "192.168.0.89", "192.168.0.1", 1, 20, 1),
    (0, "192.168.0.1", "192.168.0.89", 1, 0, 20),
    (0, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 0),
    (0, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 0),
    (0, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0),
    (0, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 58, 3, 0),
    (0, "192.168.170.8", "192.168.170.56", 132, 7, 80),
    (0, "10.1.24.4", "10.1.12.1", 46, None, None),
    (1, "10.1.12.1", "10.1.24.4", 46, None, None),
    (0, "10.0.0.1", "10.0.0.1", 17, 5000, 53),
]

if __name__ == "__main__":
    for c in CASES:
        print(c, cid(*c))
