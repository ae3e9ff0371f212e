"""A DICOMweb client in the Python standard library only (urllib), as a hospital's script
would be: STOW-RS of DICOM files to {base}/studies without a study UID, QIDO-RS for what was
stored, WADO-RS of each instance back. Prints one JSON object with what it saw.

Usage: python3 dicomweb_roundtrip.py BASE_URL FILE... (the token in YUNZHEN_TOKEN)
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid


def call(method, url, token, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": "Bearer " + token, **(headers or {})})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def first(item, tag):
    values = item.get(tag, {}).get("Value") or [None]
    return values[0]


def store(base, token, paths):
    """STOW-RS (PS3.18 10.5) of every file in one multipart/related request to /studies."""
    boundary = "py-" + uuid.uuid4().hex
    body = b""
    for path in paths:
        with open(path, "rb") as f:
            body += b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + f.read() + b"\r\n"
    body += b"--" + boundary.encode() + b"--\r\n"
    content_type = 'multipart/related; type="application/dicom"; boundary=' + boundary
    return call("POST", base + "/studies", token, body, {"Content-Type": content_type, "Accept": "application/dicom+json"})


def parts(content_type, body):
    """The bodies of a multipart/related answer (RFC 2387)."""
    params = dict(p.strip().split("=", 1) for p in content_type.split(";")[1:] if "=" in p)
    boundary = params["boundary"].strip('"').encode()
    found = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, rest = chunk.partition(b"\r\n\r\n")
        found.append(rest[:-2] if rest.endswith(b"\r\n") else rest)
    return found


def main():
    base, paths = sys.argv[1].rstrip("/"), sys.argv[2:]
    token = os.environ["YUNZHEN_TOKEN"]
    status, _, body = store(base, token, paths)
    answer = json.loads(body)
    stored = [
        {"sent": first(item, "00091002"), "stored": first(item, "00081155"), "url": first(item, "00081190")}
        for item in answer.get("00081199", {}).get("Value", [])
    ]
    failed = [
        {"sent": first(item, "00081155"), "reason": first(item, "00091001")}
        for item in answer.get("00081198", {}).get("Value", [])
    ]
    found = []
    retrieved = []
    for item in stored:
        # QIDO-RS (PS3.18 10.6): the instance by its stored UID, with its study and series.
        query = urllib.parse.urlencode({"SOPInstanceUID": item["stored"]})
        qido_status, _, qido_body = call("GET", base + "/instances?" + query, token, headers={"Accept": "application/dicom+json"})
        matches = json.loads(qido_body) if qido_status == 200 else []
        found += [{"study": first(m, "0020000D"), "series": first(m, "0020000E"), "sop": first(m, "00080018"), "modality": first(m, "00080060")} for m in matches]
        for m in matches:
            # WADO-RS (PS3.18 10.4): the instance itself, as multipart/related application/dicom.
            path = "/studies/{}/series/{}/instances/{}".format(first(m, "0020000D"), first(m, "0020000E"), first(m, "00080018"))
            wado_status, headers, wado_body = call("GET", base + path, token, headers={"Accept": 'multipart/related; type="application/dicom"'})
            files = parts(headers.get("Content-Type", ""), wado_body) if wado_status == 200 else []
            retrieved += [
                {"status": wado_status, "part10": f[128:132] == b"DICM", "holdsUid": item["stored"].encode() in f, "bytes": len(f)}
                for f in files
            ]
    print(json.dumps({"status": status, "stored": stored, "failed": failed, "found": found, "retrieved": retrieved}))


main()
