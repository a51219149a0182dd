// kubelet-streaming serves the kubelet's port-forward endpoint for the process kubelet of the
// end-to-end tests (test/e2e/kubelet), with Kubernetes' own server code
// (k8s.io/kubelet/pkg/cri/streaming/portforward): the SPDY (portforward.k8s.io) and WebSocket
// (v4.channel.k8s.io) protocols kube-apiserver relays `pods/portforward` requests with. So a
// port-forward through the local control plane takes the path of `kubectl port-forward` on a real
// cluster: client -> kube-apiserver -> this server on the node's InternalIP and
// daemonEndpoints.kubeletEndpoint.Port -> the pod's IP and port.
//
// It lives in the Kubernetes wrapper module (same go.mod and go.sum) and scripts/build-kube.sh
// builds it with kube-apiserver and kube-controller-manager in one `go build`, so the shared
// packages compile once.
//
// Routes, as the kubelet's (pkg/kubelet/server/server.go, v1.32): GET and POST
// /portForward/{namespace}/{pod} and /portForward/{namespace}/{pod}/{uid}, plus GET /healthz.
//
// A pod is resolved through the API server (one GET per request, so there is no cache to go
// stale): it must be bound to --node-name and have a status.podIP; each forwarded connection
// dials <podIP>:<port> (the process kubelet gives each pod its own loopback address).
//
// Usage:
//
//	kubelet-streaming --listen 127.40.0.1:10250 --kubeconfig FILE --node-name NODE \
//	    --tls-cert FILE --tls-key FILE --client-ca FILE
//
// The serving certificate names the node's IP (kube-apiserver verifies it with
// --kubelet-certificate-authority); every client must present a certificate signed by
// --client-ca (kube-apiserver's --kubelet-client-certificate).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/kubelet/pkg/cri/streaming/portforward"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("kubelet-streaming: ")
	if err := serveCommand(os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

func serveCommand(args []string) error {
	fs := flag.NewFlagSet("kubelet-streaming", flag.ExitOnError)
	listen := fs.String("listen", "", "host:port to serve HTTPS on (the node's InternalIP and daemonEndpoints.kubeletEndpoint.Port)")
	tlsCert := fs.String("tls-cert", "", "serving certificate (PEM) for the listen address")
	tlsKey := fs.String("tls-key", "", "serving key (PEM)")
	clientCA := fs.String("client-ca", "", "CA (PEM) that signed kube-apiserver's kubelet client certificate; every client must present one")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig to read pods with")
	nodeName := fs.String("node-name", "", "only pods bound to this node are forwarded to")
	// The kubelet's defaults: --streaming-connection-idle-timeout 4h, and the CRI streaming
	// server's StreamCreationTimeout (remotecommand DefaultStreamCreationTimeout, 30s).
	idleTimeout := fs.Duration("stream-idle-timeout", 4*time.Hour, "close a port-forward connection idle this long")
	creationTimeout := fs.Duration("stream-creation-timeout", 30*time.Second, "wait this long for the second stream of a SPDY stream pair")
	dialTimeout := fs.Duration("dial-timeout", 5*time.Second, "timeout of the TCP dial to the pod")
	verbose := fs.Bool("v", false, "log every request")
	fs.Parse(args)
	if *listen == "" || *kubeconfig == "" || *nodeName == "" || *tlsCert == "" || *tlsKey == "" || *clientCA == "" {
		return errors.New("--listen, --kubeconfig, --node-name, --tls-cert, --tls-key and --client-ca are required")
	}

	restConfig, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	restConfig.UserAgent = "kubelet-streaming"
	// A plain HTTP client with the kubeconfig's TLS and credentials, not a typed clientset: the
	// clientset's scheme links every API group (37 MB binary instead of 15 MB), and its default
	// 5 QPS limiter would delay a burst of WebSocket port-forwards (one request per connection).
	apiClient, err := rest.HTTPClientFor(restConfig)
	if err != nil {
		return err
	}

	tlsConfig := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// SPDY and WebSocket upgrades are HTTP/1.1 only.
		NextProtos: []string{"http/1.1"},
	}
	cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	tlsConfig.Certificates = []tls.Certificate{cert}
	caPEM, err := os.ReadFile(*clientCA)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("--client-ca %s: no certificate", *clientCA)
	}
	// Only kube-apiserver (--kubelet-client-certificate, signed by this CA) may forward: the
	// endpoint reaches every pod of the node without any further authorization.
	tlsConfig.ClientCAs = pool
	tlsConfig.ClientAuth = tls.RequireAndVerifyClientCert

	h := &handler{
		api:             apiClient,
		apiServer:       strings.TrimSuffix(restConfig.Host, "/"),
		nodeName:        *nodeName,
		idleTimeout:     *idleTimeout,
		creationTimeout: *creationTimeout,
		dialTimeout:     *dialTimeout,
		verbose:         *verbose,
	}
	mux := http.NewServeMux()
	for _, method := range []string{"GET", "POST"} {
		mux.HandleFunc(method+" /portForward/{namespace}/{pod}", h.portForward)
		mux.HandleFunc(method+" /portForward/{namespace}/{pod}/{uid}", h.portForward)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	server := &http.Server{
		Handler:           mux,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.Default(),
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- server.ServeTLS(listener, "", "") }()
	log.Printf("serving https://%s for node %s", listener.Addr(), *nodeName)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Upgraded connections are hijacked: Close (not Shutdown) is what ends them with the process.
	server.Close()
	return nil
}

type handler struct {
	api             *http.Client
	apiServer       string
	nodeName        string
	idleTimeout     time.Duration
	creationTimeout time.Duration
	dialTimeout     time.Duration
	verbose         bool
}

// portForward mirrors the kubelet's getPortForward: options, pod lookup (404 when the pod is not
// this node's, or the uid differs), then ServePortForward, which upgrades to SPDY or WebSocket.
func (h *handler) portForward(w http.ResponseWriter, req *http.Request) {
	namespace, name, uid := req.PathValue("namespace"), req.PathValue("pod"), req.PathValue("uid")
	if h.verbose {
		log.Printf("%s %s upgrade=%q protocols=%q from %s", req.Method, req.URL.RequestURI(),
			req.Header.Get("Upgrade"), strings.Join(append(req.Header.Values("X-Stream-Protocol-Version"), req.Header.Values("Sec-Websocket-Protocol")...), ","), clientName(req))
	}
	options, err := portforward.NewV4Options(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pod, err := h.getPod(req.Context(), namespace, name)
	switch {
	case errors.Is(err, errNotFound):
		http.Error(w, "pod does not exist", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, fmt.Sprintf("reading pod %s/%s: %v", namespace, name, err), http.StatusInternalServerError)
		return
	case pod.Spec.NodeName != h.nodeName:
		http.Error(w, "pod does not exist", http.StatusNotFound)
		return
	case uid != "" && string(pod.UID) != uid:
		http.Error(w, "pod not found", http.StatusNotFound)
		return
	case pod.Status.PodIP == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		http.Error(w, fmt.Sprintf("pod %s/%s is not running (phase %q, podIP %q)", namespace, name, pod.Status.Phase, pod.Status.PodIP), http.StatusBadRequest)
		return
	}
	forwarder := &podForwarder{ip: pod.Status.PodIP, dialTimeout: h.dialTimeout, verbose: h.verbose}
	portforward.ServePortForward(w, req, forwarder, namespace+"/"+name, pod.UID, options,
		h.idleTimeout, h.creationTimeout, portforward.SupportedProtocols)
	if h.verbose {
		log.Printf("done %s %s", req.Method, req.URL.RequestURI())
	}
}

var errNotFound = errors.New("not found")

// getPod reads a pod from the API server (GET /api/v1/namespaces/{namespace}/pods/{name}).
func (h *handler) getPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := h.apiServer + "/api/v1/namespaces/" + neturl.PathEscape(namespace) + "/pods/" + neturl.PathEscape(name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.api.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, errNotFound
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	pod := &corev1.Pod{}
	if err := json.NewDecoder(resp.Body).Decode(pod); err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return pod, nil
}

func clientName(req *http.Request) string {
	if req.TLS != nil && len(req.TLS.PeerCertificates) > 0 {
		return req.RemoteAddr + " (" + req.TLS.PeerCertificates[0].Subject.CommonName + ")"
	}
	return req.RemoteAddr
}

// podForwarder is the PortForwarder of one pod: each stream is one TCP connection to podIP:port.
type podForwarder struct {
	ip          string
	dialTimeout time.Duration
	verbose     bool
}

// PortForward copies both ways like containerd's CRI port forward (and socat): it returns when
// the pod closes its side, or 1 s after the client stops sending (the pod's write side is
// half-closed at that point so it sees EOF).
func (f *podForwarder) PortForward(ctx context.Context, pod string, _ types.UID, port int32, stream io.ReadWriteCloser) error {
	address := net.JoinHostPort(f.ip, strconv.Itoa(int(port)))
	conn, err := (&net.Dialer{Timeout: f.dialTimeout}).DialContext(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	defer conn.Close()
	if f.verbose {
		log.Printf("forwarding %s port %d to %s", pod, port, address)
	}
	fromPod := make(chan error, 1)
	toPod := make(chan error, 1)
	go func() {
		_, err := io.Copy(stream, conn)
		fromPod <- err
	}()
	go func() {
		_, err := io.Copy(conn, stream)
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.CloseWrite()
		}
		toPod <- err
	}()
	select {
	case err := <-fromPod:
		return err
	case err := <-toPod:
		select {
		case e := <-fromPod:
			if err == nil {
				err = e
			}
		case <-time.After(time.Second):
		case <-ctx.Done():
			err = ctx.Err()
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
