package io.sriovlm.sandbox.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's keys and certificates, made with {@code openssl} in a folder of their own: a CA, a serving
 * certificate for each local TLS endpoint (kube-apiserver, the fault proxy) with loopback names, and the
 * ServiceAccount token signing key pair. RSA throughout: fabric8 reads RSA keys without BouncyCastle.
 * Java's TLS is stricter than Go's: the CA carries {@code basicConstraints=CA:TRUE} and {@code keyCertSign}.
 */
public final class Pki {
    private static final String SUBJECT_ALT_NAMES = "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,"
            + "DNS:kubernetes.default,DNS:kubernetes.default.svc";
    private final Path dir;

    private Pki(Path dir) {
        this.dir = dir;
    }

    /** Creates the CA and the ServiceAccount signing keys in {@code dir}. */
    public static Pki create(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Pki pki = new Pki(dir);
        pki.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=sriovlm-sandbox-ca",
                "-keyout", "ca.key", "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature");
        pki.openssl("genrsa", "-out", "service-accounts.key", "2048");
        pki.openssl("rsa", "-in", "service-accounts.key", "-pubout", "-out", "service-accounts.pub");
        return pki;
    }

    /**
     * A serving certificate signed by the CA for {@code name} ({@code name.crt}, {@code name.key}), valid for 127.0.0.1
     * and localhost; also as a PKCS#12 keystore ({@code name.p12}, password {@link #KEYSTORE_PASSWORD}) for Java servers.
     */
    public Path servingCertificate(String name) {
        write(name + ".ext", "subjectAltName=" + SUBJECT_ALT_NAMES + "\nextendedKeyUsage=serverAuth\n"
                + "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".key",
                "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "7", "-extfile", name + ".ext", "-out", name + ".crt");
        openssl("pkcs12", "-export", "-in", name + ".crt", "-inkey", name + ".key", "-name", name,
                "-passout", "pass:" + KEYSTORE_PASSWORD, "-out", name + ".p12");
        return dir.resolve(name + ".crt");
    }

    /** The password of every PKCS#12 keystore this makes: they live and die with the test's temporary folder. */
    public static final String KEYSTORE_PASSWORD = "sandbox";

    public Path file(String name) {
        return dir.resolve(name);
    }

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    /** The CA certificate as kubeconfig's {@code certificate-authority-data} and fabric8's caCertData want it. */
    public String caCertificateBase64() {
        try {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(caCertificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String name, String content) {
        try {
            Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (Debian package openssl)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running openssl", e);
        }
    }
}
