// Links that replay: a permanent link carries the run's exported scenario
// (its modules named by digest, its faults pinned, its picks in
// schedule:) compressed into the URL's fragment, with the event to open
// at. It needs no run record on the server, only the modules in its
// store, so it outlives the run it was made from.

const b64url = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

// shareLink returns the permanent link of scenario text opened at event seq.
export async function shareLink(text, seq) {
  const z = await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw'));
  return `${location.origin}/#share=${b64url(z)}&seq=${seq}`;
}

// readShare reads a fragment written by shareLink: {text, seq}, or null
// when the fragment is not a link's.
export async function readShare(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  if (!p.has('share')) return null;
  const text = new TextDecoder().decode(await pipe(unb64url(p.get('share')), new DecompressionStream('deflate-raw')));
  return { text, seq: Number(p.get('seq') || 0) };
}
