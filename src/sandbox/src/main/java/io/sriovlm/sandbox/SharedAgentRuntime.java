package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the node agents of a light fleet ({@link Sandbox.Options#withLightFleet}) share in this process, where each
 * full agent owns its own: the HTTP client's event loops (one Vert.x instead of one per client, each with two event
 * loops per core and two helper threads), the client's task threads, the JSON mapper with its per-class
 * introspection caches, and the threads that run reconciles (JOSDK gives every agent a fixed pool that grows to 50
 * threads and keeps them).
 * Each agent still has its own KubernetesClient with its own identity and token, its own JOSDK Operator with its
 * informers and controllers, and the product's reconcilers: what it reads and writes is what the agent does.
 */
final class SharedAgentRuntime implements AutoCloseable {
    /**
     * Reconciles of the whole fleet running at once. A reconcile writes a status or waits a moment for the simulated
     * guest (a detach takes 20 ms); at 1,000 nodes the heartbeats are 100 reconciles per second.
     */
    static final int RECONCILE_THREADS = 64;
    /** Idle shared threads end after this; the pools start them again when work comes. */
    private static final long IDLE_SECONDS = 30;

    private final Vertx vertx = newVertx();
    private final ExecutorService clientTasks = Executors.newCachedThreadPool(daemon("fleet-client-"));
    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final ThreadPoolExecutor reconciles = new ThreadPoolExecutor(RECONCILE_THREADS, RECONCILE_THREADS,
            IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemon("fleet-reconcile-"));

    SharedAgentRuntime() {
        reconciles.allowCoreThreadTimeOut(true);
    }

    /** Makes a client built by {@code builder} use the shared event loops, task threads and JSON mapper. */
    void share(KubernetesClientBuilder builder) {
        builder.withHttpClientFactory(new VertxHttpClientFactory(vertx)).withTaskExecutor(clientTasks)
                .withKubernetesSerialization(serialization);
    }

    /**
     * An agent's reconcile executor: runs on the shared pool; JOSDK's shutdown of it at the agent's stop ends only
     * this agent's share (its tasks finish, new ones are refused), never the pool the other agents use.
     */
    ExecutorService reconcileExecutor() {
        return new Share(reconciles);
    }

    @Override
    public void close() {
        reconciles.shutdownNow();
        clientTasks.shutdownNow();
        vertx.close();
    }

    /** As fabric8 builds its own Vert.x for a client: daemon threads, no file caching, the JDK's DNS resolver. */
    private static Vertx newVertx() {
        String property = "vertx.disableDnsResolver";
        String before = System.setProperty(property, "true");
        try {
            return Vertx.vertx(new VertxOptions().setUseDaemonThread(true).setFileSystemOptions(
                    new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** One agent's view of the shared pool, with a shutdown of its own. */
    private static final class Share extends AbstractExecutorService {
        private final ExecutorService pool;
        private final Object lock = new Object();
        private int running;
        private boolean shutdown;

        Share(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (lock) {
                if (shutdown) {
                    throw new RejectedExecutionException("this agent's executor is shut down");
                }
                running++;
            }
            try {
                pool.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        done();
                    }
                });
            } catch (RejectedExecutionException e) {
                done();
                throw e;
            }
        }

        private void done() {
            synchronized (lock) {
                running--;
                lock.notifyAll();
            }
        }

        @Override
        public void shutdown() {
            synchronized (lock) {
                shutdown = true;
            }
        }

        /** Tasks already queued in the shared pool still run (JOSDK's find the agent stopped); none is cancelled. */
        @Override
        public List<Runnable> shutdownNow() {
            shutdown();
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            synchronized (lock) {
                return shutdown;
            }
        }

        @Override
        public boolean isTerminated() {
            synchronized (lock) {
                return shutdown && running == 0;
            }
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            synchronized (lock) {
                while (!(shutdown && running == 0)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
                return true;
            }
        }
    }
}
