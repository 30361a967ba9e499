package io.xstunt.engine.sim;

/** Something attached to a {@link Bridge} that packets are delivered to: a host or a NAT router. */
interface Node {
    /** @return its name in traces ("h1", "nat1") */
    String name();

    /** A packet arrived on {@code port}. */
    void receive(Packet p, Bridge.Port port);
}
