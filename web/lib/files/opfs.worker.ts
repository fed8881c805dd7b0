// The dedicated worker that writes received files into the Origin Private File System (opfs.ts says
// why a worker). Started by opfs-client.ts; one request at a time, each answered by its id.
import { handleOpfsRequest, OpfsFiles, type OpfsReply, type OpfsRequest } from './opfs';

const files = new OpfsFiles(() => navigator.storage.getDirectory());

self.addEventListener('message', (event: MessageEvent<OpfsRequest>) => {
  void handleOpfsRequest(files, event.data).then((reply: OpfsReply) => {
    // Read bytes move to the main thread instead of being copied.
    const transfer = reply.ok && reply.value instanceof Uint8Array ? [reply.value.buffer] : [];
    self.postMessage(reply, { transfer });
  });
});
