package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// DefaultImage is the image of the Docker way unless
// SCIM_TEST_POSTGRES_IMAGE names another.
const DefaultImage = "postgres:16-alpine"

// Labels on the containers ephemeral starts, so that a later run can find the
// ones whose process died without terminating them.
const (
	labelOwner = "org.scimharness.pgtest"
	labelHost  = "org.scimharness.pgtest.host"
	labelPID   = "org.scimharness.pgtest.pid"
)

// fromDocker runs PostgreSQL in a container, through the Docker engine's
// API (package moby/moby/client). Not testcontainers-go: it imports
// testing (and testify), which would link them into the scimharness binary.
func fromDocker(ctx context.Context) (string, string, func(), error) {
	image, explicit := os.LookupEnv("SCIM_TEST_POSTGRES_IMAGE")
	if !explicit || image == "" {
		image, explicit = DefaultImage, false
	}
	// Fail or fall through: a way the settings asked for fails loudly.
	fail := func(format string, args ...any) error {
		if explicit {
			return fmt.Errorf("SCIM_TEST_POSTGRES_IMAGE=%s: %s", image, fmt.Sprintf(format, args...))
		}
		return fallThrough("docker: "+format, args...)
	}

	cli, err := client.New(client.FromEnv)
	if err == nil {
		defer cli.Close()
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err = cli.Ping(pctx, client.PingOptions{})
		cancel()
	}
	if err != nil {
		return "", "", nil, fail("no Docker engine answers (%v)", err)
	}
	sweepContainers(ctx, cli)

	if _, err := cli.ImageInspect(ctx, image); err != nil {
		// One pull attempt, bounded.
		pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := pull(pctx, cli, image)
		cancel()
		if err != nil {
			return "", "", nil, fail("image %s is not present and cannot be pulled (%v)", image, err)
		}
	}

	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	id, port, err := runContainer(rctx, cli, image)
	terminate := func() {
		if id == "" {
			return
		}
		// A client of its own: cli is closed when fromDocker returns.
		c, err := client.New(client.FromEnv)
		if err == nil {
			defer c.Close()
			tctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = c.ContainerRemove(tctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}
		if err != nil {
			Logf("postgres for tests: removing container %.12s: %v", id, err)
		}
	}
	if err != nil {
		terminate()
		return "", "", nil, fail("starting a container of %s: %v", image, err)
	}
	dbURL := "postgres://scim:scim@127.0.0.1:" + port + "/scimtest?sslmode=disable"
	// The image's entrypoint first runs a temporary server on its unix
	// socket only, to initialise the database, then the real one: a TCP
	// connection that works is the real one. (nil: no exit to watch.)
	if err := waitReady(rctx, dbURL, nil); err != nil {
		terminate()
		return "", "", nil, fail("the container of %s did not accept connections on 127.0.0.1:%s: %v", image, port, err)
	}
	return dbURL, fmt.Sprintf("docker image %s (container %.12s, removed at the end)", image, id), terminate, nil
}

// runContainer creates and starts a PostgreSQL container of image, its
// port 5432 published on a free port of 127.0.0.1 only (never on other
// addresses), labelled so that a later run can sweep it; it returns the
// container's id (also on a failure after the create) and the host port.
func runContainer(ctx context.Context, cli *client.Client, image string) (id, port string, err error) {
	host, _ := os.Hostname()
	pg := network.MustParsePort("5432/tcp")
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image: image,
			Env:   []string{"POSTGRES_USER=scim", "POSTGRES_PASSWORD=scim", "POSTGRES_DB=scimtest"},
			// fsync off, as the initdb way: a throwaway database.
			Cmd:          []string{"postgres", "-c", "fsync=off", "-c", "full_page_writes=off"},
			ExposedPorts: network.PortSet{pg: {}},
			Labels:       map[string]string{labelOwner: "1", labelHost: host, labelPID: strconv.Itoa(os.Getpid())},
		},
		HostConfig: &container.HostConfig{
			PortBindings: network.PortMap{pg: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: ""}}},
		},
	})
	if err != nil {
		return "", "", err
	}
	id = created.ID
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return id, "", err
	}
	res, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return id, "", err
	}
	if ns := res.Container.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[pg] {
			if b.HostPort != "" {
				return id, b.HostPort, nil
			}
		}
	}
	return id, "", errors.New("port 5432 is not published")
}

func pull(ctx context.Context, cli *client.Client, image string) error {
	resp, err := cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp)
	return err
}

// sweepContainers removes containers ephemeral (or pgtest, before it)
// started on this host from a process that no longer runs (killed before
// its cleanup could run).
func sweepContainers(ctx context.Context, cli *client.Client) {
	host, _ := os.Hostname()
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", labelOwner+"=1").Add("label", labelHost+"="+host),
	})
	if err != nil {
		return
	}
	for _, c := range res.Items {
		pid, err := strconv.Atoi(c.Labels[labelPID])
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err == nil {
			Logf("postgres for tests: removed container %.12s left behind by process %d", c.ID, pid)
		}
	}
}
