package pgtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
)

// DefaultImage is the image of the Docker way unless
// SCIM_TEST_POSTGRES_IMAGE names another.
const DefaultImage = "postgres:16-alpine"

// Labels on the containers pgtest starts, so that a later run can find the
// ones whose process died without terminating them.
const (
	labelOwner = "org.scimharness.pgtest"
	labelHost  = "org.scimharness.pgtest.host"
	labelPID   = "org.scimharness.pgtest.pid"
)

// fromDocker runs PostgreSQL in a container through testcontainers-go.
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
	disableRyukIfAbsent(ctx, cli)
	pinLocalDaemon(ctx, cli)
	sweepContainers(ctx, cli)

	if _, err := cli.ImageInspect(ctx, image); err != nil {
		// One pull attempt, bounded: testcontainers would retry a failing
		// pull with backoff for up to 15 minutes.
		pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := pull(pctx, cli, image)
		cancel()
		if err != nil {
			return "", "", nil, fail("image %s is not present and cannot be pulled (%v)", image, err)
		}
	}

	host, _ := os.Hostname()
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	ctr, err := postgres.Run(rctx, image,
		postgres.WithDatabase("scimtest"),
		postgres.WithUsername("scim"),
		postgres.WithPassword("scim"),
		postgres.BasicWaitStrategies(),
		testcontainers.WithLabels(map[string]string{
			labelOwner: "1",
			labelHost:  host,
			labelPID:   strconv.Itoa(os.Getpid()),
		}),
	)
	terminate := func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			Logf("postgres for tests: terminating container: %v", err)
		}
	}
	if err != nil {
		terminate()
		return "", "", nil, fail("starting a container of %s: %v", image, err)
	}
	dbURL, err := ctr.ConnectionString(rctx, "sslmode=disable")
	if err != nil {
		terminate()
		return "", "", nil, fail("connection string: %v", err)
	}
	id := ctr.GetContainerID()
	if len(id) > 12 {
		id = id[:12]
	}
	return dbURL, fmt.Sprintf("testcontainers image %s (container %s, terminated at the end)", image, id), terminate, nil
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

// disableRyukIfAbsent turns the Ryuk reaper off when its image is not
// present locally and nobody said otherwise: testcontainers would try to
// pull it, and where there is no registry the pull fails after minutes of
// retries. pgtest terminates its containers itself, so Ryuk is a second
// safety net only. It must run before testcontainers reads its
// configuration (once per process).
func disableRyukIfAbsent(ctx context.Context, cli *client.Client) {
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); set {
		return
	}
	res, err := cli.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", "testcontainers/ryuk")})
	if err != nil || len(res.Items) > 0 {
		return
	}
	Logf("postgres for tests: the Ryuk image is not present locally; setting TESTCONTAINERS_RYUK_DISABLED=true (pgtest terminates its containers itself)")
	_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
}

// pinLocalDaemon points testcontainers at localhost when the Docker
// engine runs on this machine. Inside what looks like a container (a
// /.dockerenv file) testcontainers reaches published ports through the
// default gateway, which is right when the engine is the host's (a mounted
// socket) and wrong when the engine runs here: a VM image may carry a stray
// /.dockerenv. The engine runs here when one of this machine's addresses
// lies in the subnet of its default bridge network (docker0).
func pinLocalDaemon(ctx context.Context, cli *client.Client) {
	if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); set {
		return
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" && !strings.HasPrefix(h, "unix://") {
		return
	}
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return // testcontainers uses localhost already
	}
	res, err := cli.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return
	}
	for _, c := range res.Network.IPAM.Config {
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if ok && c.Subnet.IsValid() && c.Subnet.Contains(ip.Unmap()) {
				Logf("postgres for tests: the Docker engine runs on this machine (%s is on its bridge); setting TESTCONTAINERS_HOST_OVERRIDE=localhost", ip.Unmap())
				_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "localhost")
				return
			}
		}
	}
}

// sweepContainers removes containers pgtest started on this host from a
// process that no longer runs (killed before its cleanup could run).
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
