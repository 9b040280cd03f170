"""A seeded corpus of API calls over every endpoint of apidoc/apidoc.json, valid and invalid.

    python corpus.py [--seed N] [--per-endpoint K] > corpus.jsonl

Each call is one JSON line:
  {"id", "method", "path" (concrete), "template", "params" (what a model sends: a JSON
   object), "wire" ([[key, value], ...]: the same parameters as our server puts them on the
   wire, form-encoded strings), "kind" (valid-min, valid-opt, or the mutation), "param"}

For every endpoint: one call with only the required parameters, one with some optional
ones too, and K-2 calls that each break one rule (a missing required parameter, an unknown
parameter, a wrong type, a value out of range, outside an enum, against a pattern, too
long, a bad named format, a bad property-string key, an index that does not exist, a bad
path placeholder). Values come from the schema; named formats from the tables below.
"""

import argparse
import json
import os
import random
import re
import sys

try:
    from re import _parser as sre_parse
except ImportError:  # Python < 3.11
    import sre_parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Path placeholders: objects that exist on the fake, so a valid call reaches validation.
PLACEHOLDERS = {
    'node': 'pve1', 'vmid': '100', 'storage': 'local', 'volume': 'local:iso/debian-12.iso',
    'cidr': '10.0.0.0/24', 'name': 'set1', 'pos': '0', 'snapname': 'snap1', 'userid': 'root@pam',
    'tokenid': 'tok1', 'realm': 'pam', 'groupid': 'group1', 'roleid': 'role1', 'poolid': 'pool1',
    'iface': 'vmbr0', 'id': '100-0', 'sid': 'vm:100', 'zone': 'zone1', 'vnet': 'vnet1', 'subnet': 'zone1-10.0.0.0-24',
}

# A valid value for each named format (a -list format takes its item's value).
FORMAT_OK = {
    'pve-node': 'pve1', 'pve-vmid': '100', 'pve-configid': 'net0', 'pve-storage-id': 'local',
    'pve-fw-addr-spec': '10.0.0.1', 'pve-iface': 'vmbr0', 'pve-userid': 'root@pam', 'pve-sdn-fabric-id': 'fabric1',
    'pve-fw-dport-spec': '80', 'pve-fw-sport-spec': '1024', 'pve-fw-icmp-type-spec': 'echo-request',
    'pve-fw-protocol-spec': 'tcp', 'IPorCIDRorAlias': '10.0.0.1', 'ip': '10.0.0.1', 'pve-sdn-route-map-id': 'rm1',
    'dns-name': 'host.example.org', 'pve-poolid': 'pool1', 'address': '10.0.0.1', 'pve-realm': 'pam',
    'pve-replication-job-id': '100-0', 'CIDR': '10.0.0.0/24', 'pve-storage-path': '/var/lib/vz',
    'pve-calendar-event': 'mon..fri 02:00', 'IPorCIDR': '10.0.0.0/24', 'pve-ha-resource-or-vm-id': 'vm:100',
    'ipv4': '10.0.0.1', 'ipv6': 'fd00::1', 'pve-volume-id': 'local:iso/debian-12.iso', 'mac-addr': 'BC:24:11:00:00:01',
    'pve-startup-order': 'order=1', 'pve-tag': 'tag1', 'pve-storage-server': '10.0.0.5', 'ldap-simple-attr': 'uid',
    'pve-groupid': 'group1', 'pve-priv-list': 'VM.Audit', 'pve-priv': 'VM.Audit', 'pve-ha-node': 'pve1',
    'pve-sdn-subnet-id': 'zone1-10.0.0.0-24', 'email-opt': 'root@example.org', 'email': 'root@example.org',
    'email-or-username': 'root@pam', 'pve-cpuset': '0-3', 'pve-qm-bootdisk': 'scsi0', 'pve-hotplug-features': 'network,disk',
    'urlencoded': 'hello%20world', 'pve-storage-content': 'iso', 'pve-day-of-week': 'mon', 'pve-ha-resource-id': 'vm:100',
    'graphite-path': 'proxmox', 'pve-phys-bits': 'host', 'pve-sdn-isis-net': '49.0001.1921.6800.1001.00',
    'FullRangeCIDR': '10.0.0.0/24', 'pve-sdn-bgp-rt': '65000:100', 'string': 'abc', 'lxc-ip-with-ll-iface': 'eth0',
    'pve-ct-timezone': 'Europe/Vienna', 'pve-bridge-id': 'vmbr0', 'bridge-pair': 'vmbr0:vmbr1', 'storage-pair': 'local:local',
    'pve-vlan-id-or-range': '10', 'CIDRv4': '10.0.0.0/24', 'CIDRv6': 'fd00::/64', 'ipv4mask': '255.255.255.0',
    'pve-storage-portal-dns': '10.0.0.5:3260', 'pve-storage-zfs-blocksize': '8k', 'pve-dir-override': 'a:b',
    'pve-storage-vgname': 'pve', 'pve-roleid': 'role1', 'pve-tokenid': 'root@pam!tok1', 'mac-prefix': 'BC:24:11',
    'pve-task-status-type': 'ok', 'pve-fw-conntrack-helper': 'ftp', 'pve-ipv4-config': 'dhcp', 'pve-ipv6-config': 'dhcp',
    'disk-size': '32G', 'pve-volume-id-or-qm-path': 'local:iso/debian-12.iso', 'pve-qm-bootdev': 'scsi0',
    'pve-volume-id-or-absolute-path': '/var/lib/vz/images/fake.img', 'pve-storage-options': 'vers=4.2',
}

# A value each named format refuses (checked by PVE's code, not by cluster state).
FORMAT_BAD = {
    'pve-node': 'bad node!', 'pve-vmid': '99', 'pve-configid': 'net 0', 'pve-storage-id': '1bad',
    'pve-iface': 'a', 'pve-userid': 'nouser', 'ip': '300.1.1.1', 'ipv4': 'fd00::1', 'ipv6': '10.0.0.1',
    'address': 'not an address', 'dns-name': 'bad_name!', 'pve-poolid': 'bad pool', 'pve-realm': '1',
    'CIDR': '10.0.0.0/33', 'CIDRv4': '10.0.0.0/33', 'CIDRv6': 'fd00::/200', 'IPorCIDR': '10.0.0.0/99',
    'pve-calendar-event': 'every tuesday', 'mac-addr': 'zz:zz:zz:zz:zz:zz', 'email': 'not-an-email',
    'email-opt': 'not-an-email', 'pve-storage-path': 'relative/path', 'pve-volume-id': 'no-colon',
    'pve-startup-order': 'order=x', 'pve-groupid': 'bad group', 'pve-roleid': 'bad role', 'pve-tokenid': 'root@pam',
    'pve-replication-job-id': '100', 'pve-ha-resource-or-vm-id': 'vm:abc', 'ipv4mask': '255.0.255.0',
    'pve-storage-content': 'nonsense', 'pve-ipv4-config': '10.0.0.1', 'disk-size': '32X', 'pve-cpuset': 'x',
    'pve-ct-timezone': 'Mars/Olympus', 'pve-tag': '-bad tag', 'pve-vlan-id-or-range': '5000',
    'pve-fw-protocol-spec': 'no-such-protocol', 'pve-fw-dport-spec': 'no-such-service', 'pve-hotplug-features': 'nonsense',
}

# How many indices an indexed parameter (net[n]) has (PVE-SEMANTICS.md).
INDICES = {'net': 32, 'ipconfig': 32, 'scsi': 31, 'virtio': 16, 'hostpci': 16, 'usb': 14, 'virtiofs': 10,
           'numa': 8, 'link': 8, 'sata': 6, 'acmedomain': 6, 'ide': 4, 'serial': 4, 'parallel': 3,
           'unused': 256, 'mp': 256, 'dev': 256}

MUTATIONS = ('missing-required', 'unknown-param', 'int-not-a-number', 'int-decimal', 'bool-word', 'bool-bad',
             'above-max', 'below-min', 'enum-bad', 'too-long', 'pattern-bad', 'format-bad', 'propstring-bad-key',
             'index-out-of-range', 'placeholder-bad', 'number-not-a-number')


def endpoints():
    """[(method, template, info)] in schema order."""
    with open(os.path.join(ROOT, 'apidoc', 'apidoc.json')) as fh:
        tree = json.load(fh)
    with open(os.path.join(ROOT, 'apidoc', 'formats.json')) as fh:
        registered = json.load(fh)
    out = []

    def walk(nodes):
        for node in nodes:
            for method in ('GET', 'POST', 'PUT', 'DELETE'):
                if method in (node.get('info') or {}):
                    out.append((method, node['path'], node['info'][method]))
            walk(node.get('children') or [])
    walk(tree)
    return out, registered


def perl_to_python(pattern):
    """PVE's Perl regex flags groups as Python understands them."""
    pattern = re.sub(r'\(\?\^([a-z]*):', lambda m: '(?{0}:'.format(m.group(1).replace('u', '')) if m.group(1).replace('u', '') else '(?:', pattern)
    return pattern.replace('{,', '{0,')


def full_match(pattern, text):
    try:
        return re.fullmatch('(?:' + perl_to_python(pattern) + ')', text, re.S) is not None
    except re.error:
        return None


def regex_sample(pattern):
    """A short string the pattern matches, built from its parse tree; None when unsure."""
    try:
        tree = sre_parse.parse(perl_to_python(pattern))
    except re.error:
        return None

    def pick(items):
        if any(str(op) == 'NEGATE' for op, _ in items):
            return 'a'
        op, arg = items[0]
        name = str(op)
        if name == 'LITERAL':
            return chr(arg)
        if name == 'RANGE':
            return chr(arg[0])
        if name == 'CATEGORY':
            return {'CATEGORY_DIGIT': '1', 'CATEGORY_SPACE': ' ', 'CATEGORY_WORD': 'a',
                    'CATEGORY_NOT_SPACE': 'a', 'CATEGORY_NOT_DIGIT': 'a'}.get(str(arg), 'a')
        return 'a'

    def gen(seq):
        out = ''
        for op, arg in seq:
            name = str(op)
            if name == 'LITERAL':
                out += chr(arg)
            elif name in ('NOT_LITERAL', 'ANY'):
                out += 'a' if arg != ord('a') else 'b'
            elif name == 'IN':
                out += pick(arg)
            elif name in ('MAX_REPEAT', 'MIN_REPEAT', 'POSSESSIVE_REPEAT'):
                low, _, sub = arg
                out += gen(sub) * max(low, 1 if low == 0 and name != 'MAX_REPEAT' else low)
            elif name == 'SUBPATTERN':
                out += gen(arg[-1])
            elif name == 'BRANCH':
                out += gen(arg[1][0])
            elif name == 'ATOMIC_GROUP':
                out += gen(arg)
        return out
    sample = gen(tree)
    return sample if full_match(pattern, sample) else None


def base_format(fmt):
    return fmt[:-5] if isinstance(fmt, str) and fmt.endswith('-list') and fmt not in FORMAT_OK else fmt


class Generator:
    def __init__(self, seed, registered):
        self.rng = random.Random(seed)
        self.registered = registered

    def subschema(self, sch):
        """The key schemas of a property-string parameter, or None."""
        fmt = sch.get('format')
        if isinstance(fmt, dict):
            return fmt
        if isinstance(fmt, str) and fmt in self.registered:
            return self.registered[fmt]
        return None

    def value(self, sch, name=''):
        """A valid value as a model would send it (strings, numbers), or None when unsure."""
        kind = sch.get('type', 'string')
        if sch.get('enum'):
            return self.rng.choice(sch['enum'])
        if kind == 'boolean':
            return self.rng.choice(['0', '1'])
        if kind in ('integer', 'number'):
            if sch.get('format') == 'pve-vmid' or name == 'vmid':
                return '100'
            low, high = float(sch.get('minimum', 0)), float(sch.get('maximum', 1000))
            if high < low:
                return None
            n = int(low) + self.rng.randint(0, max(0, min(int(high - low), 64)))
            return str(n) if self.rng.random() < 0.7 else n
        if kind == 'array':
            item = self.value(sch.get('items') or {'type': 'string'}, name)
            return None if item is None else [item]
        if kind != 'string':
            return None
        sub = self.subschema(sch)
        if sub is not None:
            return self.property_string(sub)
        fmt = sch.get('format')
        if fmt:
            text = FORMAT_OK.get(fmt) or FORMAT_OK.get(base_format(fmt))
        elif sch.get('pattern'):
            text = regex_sample(sch['pattern'])
        else:
            text = 'abc' if sch.get('minLength', 0) <= 3 else 'a' * int(sch['minLength'])
        if text is None:
            return None
        if sch.get('pattern') and not full_match(sch['pattern'], text):
            return None
        if len(text) > int(sch.get('maxLength', 10 ** 6)) or len(text) < int(sch.get('minLength', 0)):
            return None
        return text

    def property_string(self, sub):
        """Required keys (and the default key when required) with valid values."""
        parts = []
        for key, ks in sub.items():
            if ks.get('alias') or ks.get('optional'):
                continue
            v = self.value(ks, key)
            if v is None or isinstance(v, list):
                return None
            parts.append(str(v) if ks.get('default_key') else '{0}={1}'.format(key, v))
        return ','.join(parts)

    def params_of(self, info):
        props = (info.get('parameters') or {}).get('properties') or {}
        return props

    def concrete(self, template, props, override=None):
        """The path with each placeholder filled; None when a value cannot be made."""
        def fill(m):
            name = m.group(1)
            if override and name in override:
                return override[name]
            if name in PLACEHOLDERS:
                return PLACEHOLDERS[name]
            v = self.value(props.get(name) or {'type': 'string'}, name)
            return None if v is None else str(v)
        parts = []
        for seg in template.split('/'):
            m = re.fullmatch(r'\{([^}]+)\}', seg)
            if m:
                v = fill(m)
                if v is None:
                    return None
                parts.append(v)
            else:
                parts.append(seg)
        return '/'.join(parts)

    def calls(self, method, template, info, per_endpoint):
        props = self.params_of(info)
        placeholders = set(re.findall(r'\{([^}]+)\}', template))
        body = {k: v for k, v in props.items() if k not in placeholders}
        required = {k: v for k, v in body.items() if not v.get('optional') and '[n]' not in k}
        optional = {k: v for k, v in body.items() if v.get('optional') or '[n]' in k}
        path = self.concrete(template, props)
        base = {}
        for k, sch in required.items():
            v = self.value(sch, k)
            base[k] = v if v is not None else 'abc'
        out = [('valid-min', None, path, dict(base))]
        extra = dict(base)
        for k in self.rng.sample(sorted(optional), min(3, len(optional))):
            name = k.replace('[n]', str(self.rng.randint(0, INDICES.get(k[:-3], 4) - 1)))
            v = self.value(optional[k], k)
            if v is not None:
                extra[name] = v
        out.append(('valid-opt', None, path, extra))
        kinds = [m for m in MUTATIONS if self.applicable(m, body, required, placeholders)]
        self.rng.shuffle(kinds)
        # The rules particular to the endpoint's parameters first; the generic ones fill up.
        # Property strings and indexed names are rarer: they go before the rest.
        kinds.sort(key=lambda m: (m not in ('propstring-bad-key', 'index-out-of-range'),
                                  m in ('unknown-param', 'placeholder-bad')))
        for kind in kinds[:max(0, per_endpoint - 2)]:
            made = self.mutate(kind, template, props, body, required, placeholders, dict(base))
            if made:
                out.append((kind,) + made)
        return [c for c in out if c[2] is not None]

    @staticmethod
    def typed(body, kind):
        return [k for k, v in body.items() if v.get('type') == kind and 'enum' not in v and '[n]' not in k]

    def applicable(self, kind, body, required, placeholders):
        b = body
        return {
            'missing-required': bool(required),
            'unknown-param': True,
            'int-not-a-number': bool(self.typed(b, 'integer')),
            'int-decimal': bool(self.typed(b, 'integer')),
            'number-not-a-number': bool(self.typed(b, 'number')),
            'bool-word': bool(self.typed(b, 'boolean')),
            'bool-bad': bool(self.typed(b, 'boolean')),
            'above-max': any('maximum' in v for v in b.values() if v.get('type') in ('integer', 'number')),
            'below-min': any('minimum' in v for v in b.values() if v.get('type') in ('integer', 'number')),
            'enum-bad': any(v.get('enum') for v in b.values()),
            'too-long': any('maxLength' in v for v in b.values()),
            'pattern-bad': any(v.get('pattern') for v in b.values()),
            'format-bad': any(base_format(v.get('format')) in FORMAT_BAD for v in b.values() if isinstance(v.get('format'), str)),
            'propstring-bad-key': any(self.subschema(v) for v in b.values()),
            'index-out-of-range': any(k.endswith('[n]') and k[:-3] in INDICES for k in b),
            'placeholder-bad': bool(placeholders & {'node', 'vmid', 'storage'}),
        }[kind]

    def mutate(self, kind, template, props, body, required, placeholders, params):
        rng = self.rng
        path = self.concrete(template, props)
        pick = lambda names: rng.choice(sorted(names))  # noqa: E731
        if kind == 'missing-required':
            name = pick(required)
            params.pop(name, None)
            return name, path, params
        if kind == 'unknown-param':
            params['no-such-param'] = '1'
            return 'no-such-param', path, params
        if kind in ('int-not-a-number', 'int-decimal'):
            name = pick(self.typed(body, 'integer'))
            params[name] = 'many' if kind == 'int-not-a-number' else '4.0'
            return name, path, params
        if kind == 'number-not-a-number':
            name = pick(self.typed(body, 'number'))
            params[name] = 'fast'
            return name, path, params
        if kind in ('bool-word', 'bool-bad'):
            name = pick(self.typed(body, 'boolean'))
            params[name] = rng.choice(['true', 'yes', 'on']) if kind == 'bool-word' else 'maybe'
            return name, path, params
        if kind == 'above-max':
            name = pick(k for k, v in body.items() if 'maximum' in v and v.get('type') in ('integer', 'number'))
            params[name] = str(int(float(body[name]['maximum'])) + 1)
            return name, path, params
        if kind == 'below-min':
            name = pick(k for k, v in body.items() if 'minimum' in v and v.get('type') in ('integer', 'number'))
            params[name] = str(int(float(body[name]['minimum'])) - 1)
            return name, path, params
        if kind == 'enum-bad':
            name = pick(k for k, v in body.items() if v.get('enum'))
            params[name] = 'not-in-enum'
            return name, path, params
        if kind == 'too-long':
            name = pick(k for k, v in body.items() if 'maxLength' in v)
            params[name] = 'a' * (int(body[name]['maxLength']) + 1)
            return name, path, params
        if kind == 'pattern-bad':
            name = pick(k for k, v in body.items() if v.get('pattern'))
            for candidate in ('!!', ' ', 'a b!', '-'):
                if full_match(body[name]['pattern'], candidate) is False:
                    params[name] = candidate
                    return name, path, params
            return None
        if kind == 'format-bad':
            name = pick(k for k, v in body.items() if isinstance(v.get('format'), str) and base_format(v['format']) in FORMAT_BAD)
            params[name.replace('[n]', '0')] = FORMAT_BAD[base_format(body[name]['format'])]
            return name, path, params
        if kind == 'propstring-bad-key':
            name = pick(k for k, v in body.items() if self.subschema(v))
            good = self.property_string(self.subschema(body[name])) or ''
            params[name.replace('[n]', '0')] = (good + ',' if good else '') + 'nosuchkey=1'
            return name, path, params
        if kind == 'index-out-of-range':
            name = pick(k for k in body if k.endswith('[n]') and k[:-3] in INDICES)
            base = name[:-3]
            v = self.value(body[name], name) or 'abc'
            params['{0}{1}'.format(base, INDICES[base] if rng.random() < 0.7 else '01')] = v
            return name, path, params
        if kind == 'placeholder-bad':
            name = pick(placeholders & {'node', 'vmid', 'storage'})
            bad = {'node': 'bad_node!', 'vmid': 'abc', 'storage': '1-bad'}[name]
            return name, self.concrete(template, props, {name: bad}), params
        raise ValueError(kind)


def wire(params):
    """The parameters as our server sends them: form pairs, booleans 1/0, arrays repeated."""
    pairs = []
    for k, v in params.items():
        for item in (v if isinstance(v, list) else [v]):
            if isinstance(item, bool):
                item = '1' if item else '0'
            pairs.append([k, str(item)])
    return pairs


def generate(seed=20251121, per_endpoint=5):
    eps, registered = endpoints()
    gen = Generator(seed, registered)
    n = 0
    for method, template, info in eps:
        for kind, param, path, params in gen.calls(method, template, info, per_endpoint):
            yield {'id': n, 'method': method, 'path': path, 'template': template, 'params': params,
                   'wire': wire(params), 'kind': kind, 'param': param}
            n += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=20251121)
    parser.add_argument('--per-endpoint', type=int, default=5)
    args = parser.parse_args()
    for call in generate(args.seed, args.per_endpoint):
        sys.stdout.write(json.dumps(call) + '\n')


if __name__ == '__main__':
    main()
