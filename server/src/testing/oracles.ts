import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';

/** Frames of a DICOM file as pydicom (Debian python3-pydicom) reads them, for independent checks. */
const framesScript = `
import base64, json, sys
import pydicom
from pydicom.encaps import generate_pixel_data_frame
ds = pydicom.dcmread(sys.argv[1], force=True)
n = int(getattr(ds, 'NumberOfFrames', 1) or 1)
if ds.file_meta.TransferSyntaxUID.is_compressed:
    frames = list(generate_pixel_data_frame(ds.PixelData, n))
else:
    import numpy
    array = ds.pixel_array
    planes = [array] if n == 1 else [array[i] for i in range(n)]
    # Bit-packed images (BitsAllocated 1) are packed again, least significant bit first (PS3.5 8.1.1).
    pack = (lambda a: numpy.packbits(a.ravel(), bitorder='little').tobytes()) if ds.BitsAllocated == 1 else (lambda a: a.tobytes())
    frames = [pack(p) for p in planes]
print(json.dumps([base64.b64encode(f).decode() for f in frames]))
`;

export function pydicomFrames(path: string): Buffer[] {
  if (!existsSync(PYTHON)) throw new Error('pydicom oracle needs /usr/bin/python3 with python3-pydicom (the test command installs it)');
  const out = execFileSync(PYTHON, ['-c', framesScript, path], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return (JSON.parse(out) as string[]).map((b) => Buffer.from(b, 'base64'));
}
