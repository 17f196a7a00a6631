# The package's getpeercert() decoder (portable_streams/_x509.py, pure
# Python) against CPython's own (OpenSSL's), run by CPython: every
# certificate of certifi's bundle and each PEM file given must decode to
# the same dict, keys in the same order. Prints one line per source.
#   x509_decode.py PACKAGE_DIR PEM_FILE...
import importlib.util
import os
import ssl
import sys
import tempfile

import certifi

spec = importlib.util.spec_from_file_location("x509", os.path.join(sys.argv[1], "_x509.py"))
x509 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(x509)


def certificates(path):
    text = open(path, encoding="utf-8").read()
    ends = text.split("-----END CERTIFICATE-----")
    return [p[p.index("-----BEGIN"):] + "-----END CERTIFICATE-----\n" for p in ends if "-----BEGIN" in p]


def check(path):
    differ = 0
    pems = certificates(path)
    for pem in pems:
        handle, single = tempfile.mkstemp(suffix=".pem")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(pem)
        try:
            want = ssl._ssl._test_decode_cert(single)
        finally:
            os.unlink(single)
        got = x509.peer_certificate(ssl.PEM_cert_to_DER_cert(pem))
        if got != want or list(got) != list(want):
            differ += 1
            print("differs:", want, "decoded as", got)
    return len(pems), differ


count, differ = check(certifi.where())
print("certifi:", count > 100, "differ:", differ)
for path in sys.argv[2:]:
    count, differ = check(path)
    print(os.path.basename(path) + ":", count, "differ:", differ, open(path).read().count("BEGIN") == count)
