'use strict';
// A small HTTP CONNECT proxy for the proxy tests (not a test file): basic auth, counting the
// tunnels it opened. Written here rather than installing tinyproxy (root, config files).

const net = require('node:net');

/** Starts on 127.0.0.1, a free port; resolves to { port, url, tunnels(), close() }. */
function startConnectProxy(credentials) {
  const expected = credentials ? `basic ${Buffer.from(credentials).toString('base64')}` : null;
  let tunnels = 0;
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.removeListener('data', onData);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const rest = head.subarray(end + 4);
      const target = lines[0].split(' ')[1] || '';
      const auth = lines.find((l) => l.toLowerCase().startsWith('proxy-authorization:'));
      if (expected && (!auth || auth.slice(auth.indexOf(':') + 1).trim().toLowerCase() !== expected.toLowerCase())) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const at = target.lastIndexOf(':');
      const upstream = net.connect(Number(target.slice(at + 1)), target.slice(0, at), () => {
        tunnels += 1;
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        if (rest.length) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    resolve({
      port,
      url: (userInfo) => `http://${userInfo ? `${userInfo}@` : ''}127.0.0.1:${port}`,
      tunnels: () => tunnels,
      close: () => new Promise((done) => { for (const s of sockets) s.destroy(); server.close(done); }),
    });
  }));
}

module.exports = { startConnectProxy };
