// Tests docs/protocol.md §4.3: restoring an identity from its secrets, exporting them, sealing them with
// the embedder's SecretBox, and stop() forgetting the loaded keys.
import { describe, expect, it } from 'vitest';
import { contactCardFromLink } from '../crypto/contact-card.js';
import { encodeIdentitySecrets, wipeIdentitySecrets } from '../crypto/identity.js';
import { onionFromPublicKey } from '../crypto/onion.js';
import { aesGcmDecrypt, aesGcmEncrypt } from '../crypto/primitives.js';
import { toBase64Url } from '../util/bytes.js';
import { ChattorError } from '../util/errors.js';
import type { EngineOptions, SecretBox } from './api.js';
import { ChatEngine } from './engine.js';
import { META } from './keys.js';
import { MemoryStorage, type MemoryNetwork } from './memory.js';
import { befriend, contactOf, incoming, makeNode, newNetwork, until, type Node } from './testing.js';

/** An engine without an identity on `net` (makeNode always creates one). */
function bareEngine(net: MemoryNetwork, opts: Partial<EngineOptions> = {}) {
  const onion = onionFromPublicKey(crypto.getRandomValues(new Uint8Array(32)));
  const storage = new MemoryStorage();
  const engine = new ChatEngine({ kem: false, ...opts, storage, transport: net.transport(onion) });
  return { onion, storage, engine };
}

/** A SecretBox under a fixed AES key that can be "locked" (open fails with E_LOCKED). */
function testBox(): SecretBox & { locked: boolean; sealed: number } {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const aad = new TextEncoder().encode('test-box');
  const box = {
    locked: false,
    sealed: 0,
    async seal(pt: Uint8Array) {
      box.sealed++;
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      return Uint8Array.from([...nonce, ...(await aesGcmEncrypt(key, nonce, pt, aad))]);
    },
    async open(sealed: Uint8Array) {
      if (box.locked) throw new ChattorError('E_LOCKED', 'vault is locked');
      return aesGcmDecrypt(key, sealed.subarray(0, 12), sealed.subarray(12), aad);
    },
  };
  return box;
}

async function signingKeyOf(node: { engine: ChatEngine }): Promise<string> {
  return toBase64Url(contactCardFromLink(await node.engine.myContactLink()).signingPublic);
}

describe('ChatEngine: restoreIdentity, exportIdentitySecrets, myProfile', () => {
  it('restores the same identity with new prekeys and no contacts; it makes friends again', async () => {
    const net = newNetwork();
    const alice: Node = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    await befriend(alice, bob);
    const profile = await alice.engine.myProfile();
    expect(profile.displayName).toBe('Alice');
    const secrets = await alice.engine.exportIdentitySecrets();

    const fresh = bareEngine(net);
    await fresh.engine.restoreIdentity(secrets, 'Alice again');
    wipeIdentitySecrets(secrets);
    expect(await fresh.engine.hasIdentity()).toBe(true);
    await fresh.engine.start();
    const restored = await fresh.engine.myProfile();
    expect(restored).toEqual({ ...profile, displayName: 'Alice again' });
    expect(await signingKeyOf(fresh)).toBe(await signingKeyOf(alice));
    const oldCard = contactCardFromLink(await alice.engine.myContactLink());
    const newCard = contactCardFromLink(await fresh.engine.myContactLink());
    expect(toBase64Url(newCard.signedPrekey.publicKey)).not.toBe(toBase64Url(oldCard.signedPrekey.publicKey));
    expect(await fresh.storage.listContacts()).toEqual([]);

    // The restored identity befriends someone new and talks.
    const carol = await makeNode(net, 'Carol');
    const restoredNode = { ...alice, onion: fresh.onion, storage: fresh.storage, engine: fresh.engine };
    await befriend(carol, restoredNode);
    await carol.engine.sendMessage((await contactOf(carol, restoredNode))!.id, 'welcome back');
    await until(async () => (await incoming(restoredNode, carol)).length === 1, 'message');
    expect((await contactOf(carol, restoredNode))?.id).toBe(profile.contactId);
    await fresh.engine.stop();
  });

  it('refuses a second identity, a bad name and bad secrets, and leaves storage as it was', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const secrets = await alice.engine.exportIdentitySecrets();
    await expect(alice.engine.restoreIdentity(secrets, 'Alice')).rejects.toMatchObject({ code: 'E_STATE' });
    const fresh = bareEngine(net);
    await expect(fresh.engine.restoreIdentity(secrets, '')).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    const short = { ...secrets, dhPrivate: new Uint8Array(31) };
    await expect(fresh.engine.restoreIdentity(short, 'A')).rejects.toMatchObject({ code: 'E_BAD_INPUT' });
    await expect(fresh.engine.restoreIdentity(null as never, 'A')).rejects.toMatchObject({
      code: 'E_BAD_INPUT',
    });
    expect(fresh.storage.meta.size).toBe(0);
    await expect(fresh.engine.exportIdentitySecrets()).rejects.toMatchObject({ code: 'E_STATE' });
    await expect(fresh.engine.myProfile()).rejects.toMatchObject({ code: 'E_STATE' });
  });

  it('with an identityBox, meta `identity` holds only the sealed secrets; a locked box stops start', async () => {
    const net = newNetwork();
    const box = testBox();
    const node = bareEngine(net, { identityBox: box });
    await node.engine.createIdentity('Dana');
    expect(box.sealed).toBe(1);
    const stored = node.storage.meta.get(META.identity) as Uint8Array;
    const secrets = await node.engine.exportIdentitySecrets();
    const raw = encodeIdentitySecrets(secrets);
    expect(toBase64Url(stored)).not.toContain(toBase64Url(raw.subarray(1, 33)));
    expect(stored.length).toBe(12 + raw.length + 16);

    box.locked = true;
    await expect(node.engine.start()).rejects.toMatchObject({ code: 'E_LOCKED' });
    await expect(node.engine.exportIdentitySecrets()).rejects.toMatchObject({ code: 'E_LOCKED' });
    box.locked = false;
    await node.engine.start();
    expect((await node.engine.myProfile()).displayName).toBe('Dana');

    // Restoring through the box seals too.
    const other = bareEngine(net, { identityBox: box });
    await other.engine.restoreIdentity(secrets, 'Dana');
    expect(box.sealed).toBe(2);
    await other.engine.start();
    expect((await other.engine.myProfile()).contactId).toBe((await node.engine.myProfile()).contactId);
    await node.engine.stop();
    await other.engine.stop();
  });

  it('stop() forgets the loaded keys; start() loads them again and sessions still open', async () => {
    const net = newNetwork();
    const alice = await makeNode(net, 'Alice');
    const bob = await makeNode(net, 'Bob');
    const { ab } = await befriend(alice, bob);
    await alice.engine.stop();
    await expect(alice.engine.myProfile()).rejects.toMatchObject({ code: 'E_STATE' });
    await expect(alice.engine.sendMessage(ab.id, 'x')).rejects.toMatchObject({ code: 'E_STATE' });
    await alice.engine.start();
    await alice.engine.sendMessage(ab.id, 'after unlock');
    await until(async () => (await incoming(bob, alice)).includes('after unlock'), 'message');
  });
});
