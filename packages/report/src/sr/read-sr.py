"""Reads DICOM SR files with pydicom and prints them as JSON, for write-sr.test.ts.

pydicom is the independent reader: it decodes the text with the file's Specific Character Set
and rebuilds the content tree in the shape of `SrItem` (src/sr/content-tree.ts), so the test can
compare what pydicom reads with what the writer was given.

Usage: python3 read-sr.py [--lenient] FILE...   (prints {"FILE": {...}, ...})

Values that break their VR are errors; with --lenient pydicom only warns (its default).
"""

import json
import sys

import pydicom
from pydicom import config


def code(sequence):
    item = sequence[0]
    value = item.get("CodeValue") or item.get("LongCodeValue") or item.get("URNCodeValue")
    result = {"value": str(value), "meaning": str(item.CodeMeaning)}
    if "CodingSchemeDesignator" in item:
        result["scheme"] = str(item.CodingSchemeDesignator)
    return result


def content(item):
    out = {"valueType": item.ValueType}
    if "RelationshipType" in item:
        out["relationship"] = item.RelationshipType
    if "ConceptNameCodeSequence" in item:
        out["concept"] = code(item.ConceptNameCodeSequence)
    value_type = item.ValueType
    if value_type == "CONTAINER":
        out["continuity"] = item.ContinuityOfContent
        if "ContentTemplateSequence" in item:
            template = item.ContentTemplateSequence[0]
            out["templateId"] = str(template.TemplateIdentifier)
            out["mappingResource"] = str(template.MappingResource)
    elif value_type == "TEXT":
        out["text"] = str(item.TextValue)
    elif value_type == "CODE":
        out["code"] = code(item.ConceptCodeSequence)
    elif value_type == "NUM":
        measured = item.MeasuredValueSequence[0]
        out["value"] = float(measured.NumericValue)
        out["numericValue"] = str(measured["NumericValue"].value.original_string)
        if "FloatingPointValue" in measured:
            out["floatingPointValue"] = float(measured.FloatingPointValue)
        out["unit"] = code(measured.MeasurementUnitsCodeSequence)
    elif value_type == "UIDREF":
        out["uid"] = str(item.UID)
    elif value_type == "PNAME":
        out["personName"] = str(item.PersonName)
    elif value_type == "IMAGE":
        reference = item.ReferencedSOPSequence[0]
        image = {"sopClassUid": str(reference.ReferencedSOPClassUID), "sopInstanceUid": str(reference.ReferencedSOPInstanceUID)}
        if "ReferencedFrameNumber" in reference:
            frames = reference.ReferencedFrameNumber
            image["frameNumbers"] = [int(f) for f in (frames if isinstance(frames, (list, pydicom.multival.MultiValue)) else [frames])]
        out["image"] = image
    elif value_type == "SCOORD":
        out["graphicType"] = item.GraphicType
        out["graphicData"] = [float(v) for v in item.GraphicData]
    if "ContentSequence" in item:
        out["children"] = [content(child) for child in item.ContentSequence]
    return out


def hierarchy(sequence):
    return [
        {
            "studyInstanceUid": str(study.StudyInstanceUID),
            "seriesInstanceUid": str(series.SeriesInstanceUID),
            "sopClassUid": str(sop.ReferencedSOPClassUID),
            "sopInstanceUid": str(sop.ReferencedSOPInstanceUID),
        }
        for study in sequence
        for series in study.ReferencedSeriesSequence
        for sop in series.ReferencedSOPSequence
    ]


def read(path):
    ds = pydicom.dcmread(path)
    return {
        "transferSyntaxUid": str(ds.file_meta.TransferSyntaxUID),
        "mediaStorageSopInstanceUid": str(ds.file_meta.MediaStorageSOPInstanceUID),
        "specificCharacterSet": ds.SpecificCharacterSet,
        "sopClassUid": str(ds.SOPClassUID),
        "sopInstanceUid": str(ds.SOPInstanceUID),
        "modality": ds.Modality,
        "patientName": str(ds.PatientName),
        "patientId": str(ds.PatientID),
        "patientBirthDate": str(ds.PatientBirthDate),
        "patientSex": str(ds.PatientSex),
        "studyInstanceUid": str(ds.StudyInstanceUID),
        "studyDate": str(ds.StudyDate),
        "accessionNumber": str(ds.AccessionNumber),
        "referringPhysicianName": str(ds.ReferringPhysicianName),
        "studyDescription": str(ds.get("StudyDescription", "")),
        "seriesInstanceUid": str(ds.SeriesInstanceUID),
        "seriesNumber": int(ds.SeriesNumber),
        "instanceNumber": int(ds.InstanceNumber),
        "contentDate": str(ds.ContentDate),
        "contentTime": str(ds.ContentTime),
        "completionFlag": ds.CompletionFlag,
        "verificationFlag": ds.VerificationFlag,
        "preliminaryFlag": ds.get("PreliminaryFlag"),
        "verifyingObservers": [
            {
                "name": str(observer.VerifyingObserverName),
                "organization": str(observer.VerifyingOrganization),
                "dateTime": str(observer.VerificationDateTime),
            }
            for observer in ds.get("VerifyingObserverSequence", [])
        ],
        "evidence": hierarchy(ds.get("CurrentRequestedProcedureEvidenceSequence", [])),
        "predecessorDocuments": hierarchy(ds.get("PredecessorDocumentsSequence", [])),
        "timezoneOffsetFromUtc": str(ds.get("TimezoneOffsetFromUTC", "")),
        "root": content(ds),
    }


if __name__ == "__main__":
    paths = sys.argv[1:]
    lenient = "--lenient" in paths
    config.settings.reading_validation_mode = config.WARN if lenient else config.RAISE
    json.dump({path: read(path) for path in paths if path != "--lenient"}, sys.stdout, ensure_ascii=False)
