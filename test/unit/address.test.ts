import { describe, expect, it } from 'vitest';
import { addressProblem, type AddressRules } from '../../src/http/outbound-address';

const strict: AddressRules = { shopDomains: ['shop-a.myshopify.com', 'shop-a.example'], allowInsecure: false };
const insecure: AddressRules = { ...strict, allowInsecure: true };

describe('addressProblem: refused addresses', () => {
  it.each([
    ['http://example.com/hook', 'http is refused'],
    ['ftp://example.com/hook', 'other schemes'],
    ['not a url', 'not a URL'],
    ['', 'empty'],
    ['https://user:pw@example.com/', 'credentials in the URL'],
    ['pubsub://project:topic', 'Google Pub/Sub'],
    ['arn:aws:events:us-east-1::event-source/aws.partner/shopify.com/1/source', 'EventBridge'],
  ])('%s (%s)', (address) => {
    expect(addressProblem(address, strict)).not.toBeNull();
  });

  it.each([
    'https://localhost/',
    'https://LOCALHOST./hook',
    'https://api.localhost/',
    'https://127.0.0.1/',
    'https://127.1.2.3:8443/',
    'https://0x7f.1/',
    'https://2130706433/',
    'https://0177.0.0.1/',
    'https://0.0.0.0/',
    'https://10.1.2.3/',
    'https://172.16.0.1/',
    'https://172.31.255.255/',
    'https://192.168.1.1/',
    'https://100.64.0.1/',
    'https://169.254.169.254/latest/meta-data',
    'https://224.0.0.1/',
    'https://255.255.255.255/',
    'https://[::1]/',
    'https://[::]/',
    'https://[fc00::1]/',
    'https://[fd12:3456::1]/',
    'https://[fe80::1]/',
    'https://[ff02::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:10.0.0.1]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[64:ff9b::192.168.0.1]/',
    'https://[2002:a00:1::1]/', // 6to4 wrapping 10.0.0.1
    'https://[2002:7f00:1::]/', // 6to4 wrapping 127.0.0.1
    'https://[2002:808:808::1]/', // 6to4, even wrapping a public address: the relay is not ours to trust
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', // Teredo
    'https://[2001::1]/', // Teredo prefix, compressed
    'https://metadata.google.internal/',
    'https://service.internal./',
    'https://corp-internal/',
    'https://shop-a.myshopify.com/hooks',
    'https://SHOP-A.example./hooks',
  ])('%s is refused', (address) => {
    expect(addressProblem(address, strict)).not.toBeNull();
  });
});

describe('addressProblem: accepted addresses', () => {
  it.each([
    'https://example.com/hook',
    'https://hooks.example.com:8443/a?b=c',
    'https://8.8.8.8/',
    'https://172.32.0.1/',
    'https://[2606:4700::1111]/',
    'https://[2001:db9::1]/', // 2001::/16 outside Teredo's /32
    'https://[2001:4860:4860::8888]/',
    'https://[::ffff:8.8.8.8]/',
    'https://shop-b.myshopify.com/hooks',
    '  https://example.com/padded  ',
  ])('%s is accepted', (address) => {
    expect(addressProblem(address, strict)).toBeNull();
  });
});

describe('addressProblem: ALLOW_INSECURE_ADDRESSES', () => {
  it.each([
    'http://example.com/hook',
    'http://localhost:8787/',
    'https://127.0.0.1/',
    'http://[::1]:3000/',
    'http://0x7f.1/',
  ])('%s is admitted only when insecure addresses are allowed', (address) => {
    expect(addressProblem(address, strict)).not.toBeNull();
    expect(addressProblem(address, insecure)).toBeNull();
  });

  it.each([
    'https://10.0.0.1/',
    'https://169.254.169.254/',
    'https://[fd00::1]/',
    'https://x.internal/',
    'pubsub://p:t',
    'https://shop-a.myshopify.com/',
  ])('%s stays refused even when insecure addresses are allowed', (address) => {
    expect(addressProblem(address, insecure)).not.toBeNull();
  });
});
