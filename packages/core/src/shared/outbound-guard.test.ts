import { startTrafficRecorder, type TrafficRecorder } from '@helios/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertHostAllowed,
  classifyAddress,
  guardedRequest,
  resolveAllowedHost,
  resolveNetworkOptions,
} from './outbound-guard';

const STRICT = { allowPrivateTargets: false };
const PRIVATE_OK = { allowPrivateTargets: true };
let recorder: TrafficRecorder;

beforeAll(async () => {
  recorder = await startTrafficRecorder({ body: { ok: true } });
});
afterAll(async () => {
  await recorder?.close();
});

describe('the outbound-address guard', () => {
  it('classifies an IPv4 address inside an uncompressed NAT64 IPv6 literal (an SMTP host) like the address itself', () => {
    expect(classifyAddress('64:ff9b:0:0:0:0:a9fe:a9fe')).toBe('forbidden');
    expect(classifyAddress('0064:FF9B:0000:0000:0000:0000:A9FE:A9FE')).toBe('forbidden');
    expect(classifyAddress('64:ff9b:0:0:0:0:7f00:1')).toBe('loopback');
    expect(() => assertHostAllowed('64:ff9b:0:0:0:0:a9fe:a9fe', PRIVATE_OK)).toThrow(
      expect.objectContaining({ code: 'NETWORK.TARGET_NOT_ALLOWED' }),
    );
  });

  it('classifies metadata, link-local, unspecified, multicast and reserved addresses as forbidden, including IPv4 inside IPv6', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.170.2',
      '100.100.100.200',
      '192.0.0.192',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::169.254.169.254',
      'not-an-ip',
    ]) {
      expect(classifyAddress(address), address).toBe('forbidden');
    }
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(classifyAddress(address), address).toBe('loopback');
    for (const address of [
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      'fd12:3456::1',
      'fc00::1',
    ]) {
      expect(classifyAddress(address), address).toBe('private');
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:4860:4860::8888'])
      expect(classifyAddress(address), address).toBe('public');
  });

  it('refuses metadata host names and forbidden literals always, loopback and private literals unless allowed', () => {
    for (const host of [
      'metadata.google.internal',
      'METADATA.GOOGLE.INTERNAL.',
      'metadata',
      '169.254.169.254',
      '[fd00:ec2::254]',
    ]) {
      expect(() => assertHostAllowed(host, PRIVATE_OK), host).toThrow(
        expect.objectContaining({ code: 'NETWORK.TARGET_NOT_ALLOWED' }),
      );
    }
    for (const host of ['127.0.0.1', 'localhost', 'api.localhost', '10.1.1.1', '[::1]']) {
      expect(() => assertHostAllowed(host, STRICT), host).toThrow(
        expect.objectContaining({ code: 'NETWORK.TARGET_NOT_ALLOWED' }),
      );
      expect(() => assertHostAllowed(host, PRIVATE_OK), host).not.toThrow();
    }
    expect(() => assertHostAllowed('login.example.com', STRICT)).not.toThrow();
  });

  it('checks every address a name resolves to', async () => {
    await expect(resolveAllowedHost('localhost', STRICT)).rejects.toMatchObject({
      kind: 'INVALID_INPUT',
      code: 'NETWORK.TARGET_NOT_ALLOWED',
    });
    const addresses = await resolveAllowedHost('localhost', PRIVATE_OK);
    expect(addresses.length).toBeGreaterThan(0);
    for (const a of addresses) expect(classifyAddress(a.address)).toBe('loopback');
  });

  it('connects only to allowed addresses: a refused target gets no connection at all', async () => {
    await expect(
      guardedRequest(recorder.url, { timeoutMs: 2000, network: STRICT }),
    ).rejects.toMatchObject({ code: 'NETWORK.TARGET_NOT_ALLOWED' });
    await expect(
      guardedRequest(`http://localhost:${recorder.port}/`, { timeoutMs: 2000, network: STRICT }),
    ).rejects.toMatchObject({
      code: 'NETWORK.TARGET_NOT_ALLOWED',
    });
    expect(recorder.connections).toBe(0);
    const answer = await guardedRequest(`http://localhost:${recorder.port}/x`, {
      timeoutMs: 2000,
      network: PRIVATE_OK,
    });
    expect(answer).toMatchObject({ status: 200, text: '{"ok":true}', truncated: false });
    expect(recorder.connections).toBe(1);
  });

  it('reads the setting from createHelios options first, then HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS', () => {
    expect(resolveNetworkOptions(undefined, {})).toEqual({ allowPrivateTargets: false });
    expect(
      resolveNetworkOptions(undefined, { HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS: 'true' }),
    ).toEqual({ allowPrivateTargets: true });
    expect(resolveNetworkOptions(undefined, { HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS: '1' })).toEqual(
      { allowPrivateTargets: true },
    );
    expect(
      resolveNetworkOptions(undefined, { HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS: 'yes please' }),
    ).toEqual({ allowPrivateTargets: false });
    expect(
      resolveNetworkOptions(
        { allowPrivateTargets: false },
        { HELIOS_ALLOW_PRIVATE_NETWORK_TARGETS: 'true' },
      ),
    ).toEqual({ allowPrivateTargets: false });
  });
});
