"""A peer's certificate as CPython's `SSLObject.getpeercert()` gives it
(a dict: subject, issuer, version, serialNumber, notBefore, notAfter,
subjectAltName, OCSP, caIssuers, crlDistributionPoints), read from its DER
with a small DER reader: the interface hands the certificate over in DER,
and CPython inside a component has no OpenSSL to decode it."""

#: OpenSSL's long names for the attribute types of names.
_ATTRIBUTES = {
    "2.5.4.3": "commonName",
    "2.5.4.4": "surname",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "countryName",
    "2.5.4.7": "localityName",
    "2.5.4.8": "stateOrProvinceName",
    "2.5.4.9": "streetAddress",
    "2.5.4.10": "organizationName",
    "2.5.4.11": "organizationalUnitName",
    "2.5.4.12": "title",
    "2.5.4.15": "businessCategory",
    "2.5.4.17": "postalCode",
    "2.5.4.42": "givenName",
    "2.5.4.43": "initials",
    "2.5.4.44": "generationQualifier",
    "2.5.4.46": "dnQualifier",
    "2.5.4.65": "pseudonym",
    "2.5.4.13": "description",
    "2.5.4.16": "postalAddress",
    "2.5.4.18": "postOfficeBox",
    "2.5.4.20": "telephoneNumber",
    "2.5.4.41": "name",
    "2.5.4.45": "x500UniqueIdentifier",
    "2.5.4.72": "role",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.2": "unstructuredName",
    "0.9.2342.19200300.100.1.3": "mail",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.1": "userId",
    "0.9.2342.19200300.100.1.25": "domainComponent",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionLocalityName",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionStateOrProvinceName",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
}

_SUBJECT_ALT_NAME = "2.5.29.17"
_CRL_DISTRIBUTION_POINTS = "2.5.29.31"
_AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1"
_OCSP = "1.3.6.1.5.5.7.48.1"
_CA_ISSUERS = "1.3.6.1.5.5.7.48.2"

#: String types by DER tag, and their encodings.
_STRINGS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "ascii",  # NumericString
    0x13: "ascii",  # PrintableString
    0x14: "latin-1",  # TeletexString
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


class _Element:
    """One DER element: its tag and its content."""

    def __init__(self, tag, content):
        self.tag = tag
        self.content = content

    def children(self):
        return list(_elements(self.content))


def _elements(data):
    """The DER elements one after the other in `data`."""
    pos = 0
    while pos < len(data):
        tag = data[pos]
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
        if pos + length > len(data):
            raise ValueError("truncated DER")
        yield _Element(tag, data[pos : pos + length])
        pos += length


def _oid(content):
    arc = min(content[0] // 40, 2)
    parts = [arc, content[0] - 40 * arc]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _text(element):
    encoding = _STRINGS.get(element.tag)
    if encoding is None:
        return element.content.hex()
    return element.content.decode(encoding, errors="replace")


def _name(element):
    """A Name as CPython gives it: a tuple of RDNs, each a tuple of
    (attribute, value) pairs."""
    rdns = []
    for rdn in element.children():
        pairs = []
        for attribute in rdn.children():
            oid, value = attribute.children()[:2]
            dotted = _oid(oid.content)
            pairs.append((_ATTRIBUTES.get(dotted, dotted), _text(value)))
        rdns.append(tuple(pairs))
    return tuple(rdns)


#: Months as OpenSSL names them (not the locale's, and without
#: `_strptime`, which a component's standard library leaves out).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _time(element):
    """UTCTime or GeneralizedTime as OpenSSL prints it
    ('Jan  1 00:00:00 1975 GMT')."""
    text = element.content.decode("ascii").rstrip("Z")
    if element.tag == 0x17:  # UTCTime: YYMMDDHHMM[SS]
        year = int(text[:2])
        text = str(1900 + year if year >= 50 else 2000 + year) + text[2:]
    fraction = ""
    if "." in text:
        text, fraction = text.split(".", 1)
        fraction = "." + fraction
    digits = text.ljust(14, "0")
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    clock = f"{digits[8:10]}:{digits[10:12]}:{digits[12:14]}"
    return f"{_MONTHS[month - 1]} {day:2d} {clock}{fraction} {year} GMT"


def _ip(data):
    if len(data) == 4:
        return ".".join(str(b) for b in data)
    if len(data) == 16:
        return ":".join(f"{int.from_bytes(data[i : i + 2], 'big'):X}" for i in range(0, 16, 2))
    return "<invalid>"


#: GeneralName kinds held as IA5 text, by tag number, in CPython's words.
_TEXT_NAMES = {1: "email", 2: "DNS", 6: "URI"}


def _general_name(element):
    """One GeneralName as a (kind, value) pair, CPython's words."""
    kind = element.tag & 0x1F
    if kind in _TEXT_NAMES:
        return (_TEXT_NAMES[kind], element.content.decode("ascii", errors="replace"))
    if kind == 4:
        return ("DirName", _name(element.children()[0]))
    if kind == 7:
        return ("IP Address", _ip(element.content))
    if kind == 8:
        return ("Registered ID", _oid(element.content))
    return ("othername", "<unsupported>")


def _tagged(elements, tag):
    """The children of the elements tagged `tag`, one after the other."""
    return [child for element in elements if element.tag == tag for child in element.children()]


def _uris(general_names):
    return [value for kind, value in map(_general_name, general_names) if kind == "URI"]


def peer_certificate(der):
    """`getpeercert()`'s dict for the certificate `der`."""
    certificate = next(_elements(der))
    tbs = certificate.children()[0].children()
    version = 1
    if tbs[0].tag == 0xA0:
        version = int.from_bytes(tbs[0].children()[0].content, "big") + 1
        tbs = tbs[1:]
    serial, _algorithm, issuer, validity, subject = tbs[:5]
    not_before, not_after = validity.children()
    magnitude = serial.content.lstrip(b"\x00") or b"\x00"
    decoded = {
        "subject": _name(subject),
        "issuer": _name(issuer),
        "version": version,
        "serialNumber": magnitude.hex().upper(),
        "notBefore": _time(not_before),
        "notAfter": _time(not_after),
    }
    extensions = {}
    for element in tbs[5:]:
        if element.tag != 0xA3:
            continue
        for extension in element.children()[0].children():
            parts = extension.children()
            # extnID, critical (optional), extnValue (an OCTET STRING).
            extensions[_oid(parts[0].content)] = next(_elements(parts[-1].content))
    if _SUBJECT_ALT_NAME in extensions:
        names = extensions[_SUBJECT_ALT_NAME].children()
        decoded["subjectAltName"] = tuple(_general_name(name) for name in names)
    if _AUTHORITY_INFO_ACCESS in extensions:
        access = {_OCSP: [], _CA_ISSUERS: []}
        for description in extensions[_AUTHORITY_INFO_ACCESS].children():
            method, location = description.children()
            uris = _uris([location])
            access.setdefault(_oid(method.content), []).extend(uris)
        if access[_OCSP]:
            decoded["OCSP"] = tuple(access[_OCSP])
        if access[_CA_ISSUERS]:
            decoded["caIssuers"] = tuple(access[_CA_ISSUERS])
    if _CRL_DISTRIBUTION_POINTS in extensions:
        # Each point's distributionPoint [0], its fullName [0]: GeneralNames.
        points = [
            uri
            for point in extensions[_CRL_DISTRIBUTION_POINTS].children()
            for uri in _uris(_tagged(_tagged(point.children(), 0xA0), 0xA0))
        ]
        if points:
            decoded["crlDistributionPoints"] = tuple(points)
    return decoded
