package io.sriovlm.sandbox.controlplane;

import io.sriovlm.sandbox.api.ApiFaults;
import io.sriovlm.sandbox.api.ApiPath;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TLS HTTP/1.1 proxy in front of a real kube-apiserver that applies the sandbox's {@link ApiFaults} to every request
 * it forwards: an armed rule is answered here with its error and never reaches the server; every write is shown to
 * the fault observers before it is forwarded (so a phase trigger fires before any actor sees the phase); and a
 * dropped watch is a closed connection, as an API server restart or a load balancer does it. Everything else is the
 * real server's answer, byte for byte; the client's own credentials go through, so RBAC and admission still apply.
 * <p>
 * Each client connection gets its own connection to the server; requests on it are forwarded one at a time, as HTTP/1.1
 * does (the proxy offers no HTTP/2). Watches over chunked HTTP and over WebSockets are both streamed as they come.
 */
public final class FaultProxy implements Closeable, ApiFaults.Watches {
    private static final Logger LOG = Logger.getLogger(FaultProxy.class);
    private static final int MAX_HEAD = 64 * 1024;

    private final ApiFaults faults;
    private final String upstreamHost;
    private final int upstreamPort;
    private final SSLContext upstreamTls;
    private final SSLServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    /** Connections streaming a watch now, by resource (plural). */
    private final Map<Socket, String> watching = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param serverTls  the proxy's own serving identity (a certificate the clients trust)
     * @param upstreamTls trusts the API server's serving certificate
     */
    public FaultProxy(ApiFaults faults, String upstreamHost, int upstreamPort, SSLContext serverTls,
            SSLContext upstreamTls) throws IOException {
        this.faults = faults;
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        this.upstreamTls = upstreamTls;
        this.server = (SSLServerSocket) serverTls.getServerSocketFactory().createServerSocket(0, 128,
                InetAddress.getLoopbackAddress());
        faults.trackWatches(this);
        Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code https://127.0.0.1:PORT} */
    public String url() {
        return "https://127.0.0.1:" + port();
    }

    @Override
    public int drop(String resource) {
        int n = 0;
        for (Map.Entry<Socket, String> e : watching.entrySet()) {
            if (resource == null || resource.equals(e.getValue())) {
                watching.remove(e.getKey());
                closeQuietly(e.getKey());
                n++;
            }
        }
        return n;
    }

    @Override
    public int open(String resource) {
        return (int) watching.values().stream().filter(r -> resource == null || resource.equals(r)).count();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        connections.forEach(FaultProxy::closeQuietly);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SSLSocket client = (SSLSocket) server.accept();
                connections.add(client);
                Thread t = new Thread(() -> serve(client), "fault-proxy-" + client.getPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.debugf(e, "fault proxy: accept failed");
                }
            }
        }
    }

    private void serve(SSLSocket client) {
        SSLSocket upstream = null;
        InputStream fromServer = null;
        String current = "(before the first request)";
        try {
            client.setTcpNoDelay(true);
            InputStream fromClient = new BufferedInputStream(client.getInputStream());
            OutputStream toClient = client.getOutputStream();
            while (!closed) {
                Head request = Head.read(fromClient);
                if (request == null) {
                    return; // the client closed its connection between requests
                }
                String expect = request.header("Expect");
                if (expect != null && expect.equalsIgnoreCase("100-continue")) {
                    toClient.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    toClient.flush();
                }
                byte[] body = readRequestBody(fromClient, request);
                current = request.firstLine();
                String[] line = request.firstLine().split(" ", 3);
                if (line.length < 3) {
                    return;
                }
                String method = line[0];
                String target = line[1];
                ApiPath path = ApiPath.parse(target);
                String verb = path == null ? null : ApiFaults.verbOf(method, path.name() != null, path.query());
                if (path != null) {
                    var injected = faults.intercept(new ApiFaults.Request(verb, path.group(), path.plural(),
                            path.namespace(), path.name(), path.subresource(),
                            body.length == 0 ? null : new String(body, StandardCharsets.UTF_8)));
                    if (injected.isPresent()) {
                        answer(toClient, injected.get());
                        if (request.closes()) {
                            return;
                        }
                        continue;
                    }
                }
                if (upstream == null) {
                    upstream = (SSLSocket) upstreamTls.getSocketFactory().createSocket(upstreamHost, upstreamPort);
                    upstream.setTcpNoDelay(true);
                    connections.add(upstream);
                    fromServer = new BufferedInputStream(upstream.getInputStream());
                }
                OutputStream toServer = upstream.getOutputStream();
                toServer.write(request.withContentLength(body.length));
                toServer.write(body);
                toServer.flush();
                Head response = Head.read(fromServer);
                if (response == null) {
                    return;
                }
                toClient.write(response.bytes());
                toClient.flush();
                int status = response.status();
                if (status == 101) {
                    // A WebSocket (fabric8's watches): from now on, bytes both ways until either side closes.
                    if ("watch".equals(verb)) {
                        watching.put(client, path.plural());
                    }
                    pumpBothWays(client, fromClient, upstream, fromServer);
                    return;
                }
                if ("watch".equals(verb)) {
                    watching.put(client, path.plural());
                }
                boolean untilClose = copyResponseBody(method, status, response, fromServer, toClient);
                watching.remove(client);
                if (untilClose || request.closes() || response.closes()) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debugf(e, "fault proxy: connection ended at %s", current);
        } catch (RuntimeException e) {
            LOG.warnf(e, "fault proxy: failed on %s; closing the client's connection", current);
        } finally {
            watching.remove(client);
            connections.remove(client);
            closeQuietly(client);
            if (upstream != null) {
                connections.remove(upstream);
                closeQuietly(upstream);
            }
        }
    }

    private static void answer(OutputStream out, ApiFaults.Injected injected) throws IOException {
        byte[] json = injected.statusJson().getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + injected.code() + " " + injected.reason() + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(json);
        out.flush();
    }

    private static byte[] readRequestBody(InputStream in, Head head) throws IOException {
        if (head.chunked()) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            copyChunked(in, body, false);
            return body.toByteArray();
        }
        long length = head.contentLength();
        return length <= 0 ? new byte[0] : in.readNBytes((int) length);
    }

    /** Copies the response body as framed; true when it was delimited by the server closing the connection. */
    private static boolean copyResponseBody(String method, int status, Head response, InputStream in, OutputStream out)
            throws IOException {
        if ("HEAD".equals(method) || status == 204 || status == 304 || status / 100 == 1) {
            return false;
        }
        if (response.chunked()) {
            copyChunked(in, out, true);
            return false;
        }
        long length = response.contentLength();
        if (length >= 0) {
            copyExactly(in, out, length);
            return false;
        }
        in.transferTo(out);
        out.flush();
        return true;
    }

    /** Copies one chunked body; with {@code raw} the framing is copied too, else only the data. Flushes each chunk. */
    private static void copyChunked(InputStream in, OutputStream out, boolean raw) throws IOException {
        while (true) {
            String sizeLine = Head.readLine(in);
            if (sizeLine == null) {
                throw new IOException("connection closed inside a chunked body");
            }
            int semicolon = sizeLine.indexOf(';');
            long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (raw) {
                out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            if (size == 0) {
                // Trailers, then the empty line that ends the body.
                String trailer;
                do {
                    trailer = Head.readLine(in);
                    if (raw && trailer != null) {
                        out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    }
                } while (trailer != null && !trailer.isEmpty());
                out.flush();
                return;
            }
            copyExactly(in, out, size);
            String end = Head.readLine(in);
            if (raw) {
                out.write(((end == null ? "" : end) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            out.flush();
        }
    }

    private static void copyExactly(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("connection closed " + left + " bytes before the end of a body");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
        out.flush();
    }

    private void pumpBothWays(Socket client, InputStream fromClient, Socket upstream, InputStream fromServer)
            throws IOException {
        Thread up = new Thread(() -> {
            try {
                pump(fromClient, upstream.getOutputStream());
            } catch (IOException e) {
                LOG.tracef(e, "fault proxy: client side of a stream ended");
            } finally {
                closeQuietly(upstream);
            }
        }, Thread.currentThread().getName() + "-up");
        up.setDaemon(true);
        up.start();
        try {
            pump(fromServer, client.getOutputStream());
        } finally {
            closeQuietly(client);
        }
    }

    private static void pump(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            out.flush();
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.tracef(e, "fault proxy: while closing");
        }
    }

    /** The head of an HTTP/1.1 message: its first line and headers, as read. */
    record Head(String firstLine, List<String[]> headers) {
        static Head read(InputStream in) throws IOException {
            String first = readLine(in);
            while (first != null && first.isEmpty()) {
                first = readLine(in); // stray CRLF between messages
            }
            if (first == null) {
                return null;
            }
            List<String[]> headers = new ArrayList<>();
            int size = first.length();
            for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
                size += line.length();
                if (size > MAX_HEAD) {
                    throw new IOException("HTTP head over " + MAX_HEAD + " bytes");
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    headers.add(new String[] { line.substring(0, colon).trim(), line.substring(colon + 1).trim() });
                }
            }
            return new Head(first, headers);
        }

        /** A CRLF- (or LF-) terminated line without its terminator; null at the end of the stream. */
        static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    byte[] b = line.toByteArray();
                    int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                    return new String(b, 0, len, StandardCharsets.ISO_8859_1);
                }
                line.write(c);
                if (line.size() > MAX_HEAD) {
                    throw new IOException("HTTP line over " + MAX_HEAD + " bytes");
                }
            }
            return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
        }

        String header(String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
        }

        boolean chunked() {
            String te = header("Transfer-Encoding");
            return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        }

        long contentLength() {
            String cl = header("Content-Length");
            return cl == null ? -1 : Long.parseLong(cl);
        }

        boolean closes() {
            String c = header("Connection");
            return c != null && c.toLowerCase(Locale.ROOT).contains("close");
        }

        int status() {
            String[] parts = firstLine.split(" ", 3);
            return parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        }

        byte[] bytes() {
            StringBuilder sb = new StringBuilder(firstLine).append("\r\n");
            headers.forEach(h -> sb.append(h[0]).append(": ").append(h[1]).append("\r\n"));
            return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        }

        /**
         * This request's head with its body re-framed by a Content-Length (the proxy has read the body whole, and
         * answered an {@code Expect: 100-continue} itself).
         */
        byte[] withContentLength(int length) {
            StringBuilder sb = new StringBuilder(firstLine).append("\r\n");
            headers.stream().filter(h -> !h[0].equalsIgnoreCase("Content-Length")
                    && !h[0].equalsIgnoreCase("Transfer-Encoding") && !h[0].equalsIgnoreCase("Expect"))
                    .forEach(h -> sb.append(h[0]).append(": ").append(h[1]).append("\r\n"));
            if (length > 0 || !firstLine.startsWith("GET ")) {
                sb.append("Content-Length: ").append(length).append("\r\n");
            }
            return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
