// A node's gateway mailbox for engines on the memory network (shared/protocol/memory.ts): the real
// MailboxService over a real MailboxStore, as the gateway answers mailbox frames (docs/protocol.md §5.8).
import { createLogger } from '../../gateway/log.js';
import { MailboxService } from '../../gateway/mailbox/service.js';
import type { MailboxStore } from '../../gateway/mailbox/store.js';
import type { MemoryMailboxHost } from '../../shared/protocol/memory.js';
import { fromHex, toBase64Url } from '../../shared/util/bytes.js';
import { decodeFrame, type Frame } from '../../shared/wire/frame.js';

/** `onRequest` sees every request frame before the service answers it (to record deposits, say). */
export function realMailboxHost(store: MailboxStore, onRequest?: (f: Frame) => void): MemoryMailboxHost {
  const svc = new MailboxService({ store, log: createLogger('test', { level: 'error' }) });
  return {
    handle(frame) {
      const f = decodeFrame(frame);
      onRequest?.(f);
      return svc.handle(f.kind as never, f.stream, f.body);
    },
    openAccount(capHash) {
      store.openAccount(fromHex(capHash));
      return toBase64Url(store.okey);
    },
    closeAccount(capHash) {
      store.closeAccount(fromHex(capHash));
    },
    stats: () => store.stats(),
  };
}
