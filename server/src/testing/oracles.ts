import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';

/**
 * Frames of DICOM files as pydicom (Debian python3-pydicom) reads them, for independent checks:
 * one JSON entry per file, null when it has no Pixel Data. Encapsulated Pixel Data is the one
 * with undefined length (PS3.5 A.4), split into frames as stored; pydicom need not know the
 * transfer syntax for that (2.3 knows neither HTJ2K nor JPEG XL). Native Pixel Data goes through
 * `pixel_array` (numpy), so byte order and bit packing are pydicom's reading, not ours.
 */
const framesScript = `
import base64, json, sys
import pydicom
from pydicom.encaps import generate_pixel_data_frame

def frames(path):
    ds = pydicom.dcmread(path, force=True)
    if 'PixelData' not in ds:
        return None
    n = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    if ds['PixelData'].is_undefined_length:
        return list(generate_pixel_data_frame(ds.PixelData, n))
    try:
        import numpy
    except ImportError:
        sys.exit('pydicom needs numpy for native Pixel Data: install Debian python3-numpy')
    array = ds.pixel_array
    planes = [array] if n == 1 else [array[i] for i in range(n)]
    # Bit-packed images (BitsAllocated 1) are packed again, least significant bit first (PS3.5 8.1.1).
    pack = (lambda a: numpy.packbits(a.ravel(), bitorder='little').tobytes()) if ds.BitsAllocated == 1 else (lambda a: a.tobytes())
    return [pack(p) for p in planes]

out = [frames(path) for path in sys.argv[1:]]
print(json.dumps([None if f is None else [base64.b64encode(b).decode() for b in f] for f in out]))
`;

/**
 * The frames of each file (null: no Pixel Data), read by one pydicom process. Any pydicom error
 * throws: a file the oracle cannot read is a failed check, never a skipped one.
 */
export function pydicomFrames(paths: readonly string[]): (Buffer[] | null)[] {
  if (!existsSync(PYTHON)) throw new Error('pydicom oracle needs /usr/bin/python3 with python3-pydicom and python3-numpy (the test command installs them)');
  const out = execFileSync(PYTHON, ['-c', framesScript, ...paths], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  return (JSON.parse(out) as (string[] | null)[]).map((frames) => frames && frames.map((b) => Buffer.from(b, 'base64')));
}
