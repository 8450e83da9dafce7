#!/usr/bin/env python3
"""make_layout.py — a one-layer OCI image layout from a list of members, for the UI tests.

  python3 make_layout.py OUT_DIR [--tag TAG] (--members members.json | --generate many:N)

members.json: [{"name": "...", "type": "file"|"dir"|"symlink", "data": "...", "target": "...",
                "xattrs": {"user.x": "value"}}]
--generate many:N: N one-byte files spread over directories of 1000 (d0000/f000000 ...), for the
100k-entry test. --platforms linux/amd64,linux/arm64: an image index with one image per platform.

The layer is an uncompressed tar (PAX format, so any name survives); skopeo compresses it to
zstd:chunked when pushing. Standard library only; deterministic (fixed mtimes, owners, order).
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import tarfile

MTIME = 1700000000


def members_from_generator(spec):
    kind, _, n = spec.partition(':')
    if kind != 'many':
        raise SystemExit(f'unknown generator {spec}')
    n = int(n)
    per_dir = 1000
    for d in range((n + per_dir - 1) // per_dir):
        yield {'name': f'd{d:04d}', 'type': 'dir'}
        for i in range(d * per_dir, min(n, (d + 1) * per_dir)):
            yield {'name': f'd{d:04d}/f{i:06d}', 'type': 'file', 'data': chr(97 + i % 26)}


def write_tar(members, fileobj):
    with tarfile.open(fileobj=fileobj, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            ti = tarfile.TarInfo(m['name'])
            ti.mtime = MTIME
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = 'root'
            kind = m.get('type', 'file')
            if kind == 'dir':
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tar.addfile(ti)
            elif kind == 'symlink':
                ti.type = tarfile.SYMTYPE
                ti.linkname = m['target']
                ti.mode = 0o777
                tar.addfile(ti)
            else:
                for k, v in (m.get('xattrs') or {}).items():
                    ti.pax_headers['SCHILY.xattr.' + k] = v
                data = m.get('data', '').encode('utf-8')
                ti.size = len(data)
                ti.mode = 0o644
                tar.addfile(ti, io.BytesIO(data))


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, 'blobs', 'sha256', digest)
    with open(path, 'wb') as f:
        f.write(data)
    return f'sha256:{digest}', len(data)


def image(out, members, platform):
    """Writes one image (layer, config, manifest) and returns the manifest's descriptor."""
    os_, _, arch = platform.partition('/')
    buf = io.BytesIO()
    write_tar(members, buf)
    layer_digest, layer_size = blob(out, buf.getvalue())
    config = json.dumps({
        'architecture': arch, 'os': os_,
        'config': {},
        'rootfs': {'type': 'layers', 'diff_ids': [layer_digest]},
        'history': [{'created': '2023-11-14T22:13:20Z', 'created_by': 'chunkscope e2e fixture'}],
    }, sort_keys=True).encode()
    config_digest, config_size = blob(out, config)
    manifest = json.dumps({
        'schemaVersion': 2,
        'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': config_digest, 'size': config_size},
        'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar', 'digest': layer_digest, 'size': layer_size}],
    }, sort_keys=True).encode()
    digest, size = blob(out, manifest)
    return {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': digest, 'size': size,
            'platform': {'os': os_, 'architecture': arch}}, layer_digest, layer_size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--tag', default='latest')
    ap.add_argument('--members')
    ap.add_argument('--generate')
    ap.add_argument('--platforms', help='os/arch,os/arch: an image index, one image per platform '
                    '(each layer gets an extra file platform-ARCH.txt)')
    a = ap.parse_args()
    if a.members:
        with open(a.members, encoding='utf-8') as f:
            members = json.load(f)
    elif a.generate:
        members = list(members_from_generator(a.generate))
    else:
        raise SystemExit('need --members or --generate')
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(os.path.join(a.out, 'blobs', 'sha256'))
    ref = {'org.opencontainers.image.ref.name': a.tag}
    if a.platforms:
        descs = []
        for p in a.platforms.split(','):
            arch = p.split('/')[1]
            d, _, _ = image(a.out, members + [{'name': f'platform-{arch}.txt', 'type': 'file', 'data': p + '\n'}], p)
            descs.append(d)
        index = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
                            'manifests': descs}, sort_keys=True).encode()
        digest, size = blob(a.out, index)
        top = {'mediaType': 'application/vnd.oci.image.index.v1+json', 'digest': digest, 'size': size, 'annotations': ref}
        result = {'layout': a.out, 'index': digest}
    else:
        d, layer_digest, layer_size = image(a.out, members, 'linux/amd64')
        top = {'mediaType': d['mediaType'], 'digest': d['digest'], 'size': d['size'], 'annotations': ref}
        result = {'layout': a.out, 'manifest': d['digest'], 'layer': layer_digest, 'tarBytes': layer_size}
    with open(os.path.join(a.out, 'index.json'), 'w') as f:
        json.dump({'schemaVersion': 2, 'manifests': [top]}, f)
    with open(os.path.join(a.out, 'oci-layout'), 'w') as f:
        json.dump({'imageLayoutVersion': '1.0.0'}, f)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
