package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"

	"mosaic/clients/instance"
	"mosaic/clients/registry"
)

// registration keeps the process's services registered; a nil one (no
// -registry) does nothing.
type registration struct {
	cli *clientv3.Client
	reg *registry.Registrar
}

// startRegistration starts registering every served service, its state in
// metrics. It does not wait for etcd (the registrar retries until etcd
// answers), except with -registry-user, whose token registry.Connect
// fetches first.
func startRegistration(cfg config, lis net.Addr, metrics prometheus.Registerer, logf func(format string, args ...any)) (*registration, error) {
	if cfg.registry == nil {
		return nil, nil
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	inst := instance.Instance{
		Addr:    advertiseAddr(cfg.advertise, lis, host),
		Color:   cfg.color,
		Cluster: cfg.cluster,
		Zone:    cfg.zone,
		Weight:  cfg.weight,
	}
	cli, err := registry.Connect(cfg.registry, cfg.registrySec)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	reg, err := registry.NewRegistrar(cli, instanceID(cfg.instanceID, lis, host), cfg.services, inst,
		registry.WithTTL(cfg.ttl), registry.WithLogf(logf))
	if err != nil {
		cli.Close()
		return nil, err
	}
	g := &registration{cli: cli, reg: reg}
	if err := registry.RegisterRegistrar(metrics, "mock", reg); err != nil {
		return nil, errors.Join(err, g.stop())
	}
	return g, nil
}

func (g *registration) announce() string {
	if g == nil {
		return ""
	}
	return fmt.Sprintf(" registering %q", g.reg.Keys())
}

// stop deregisters, so that the keys go at once rather than at the end of the
// lease, and closes the client.
func (g *registration) stop() error {
	if g == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), deregisterTimeout)
	defer cancel()
	err := g.reg.Deregister(ctx)
	return errors.Join(err, g.cli.Close())
}
