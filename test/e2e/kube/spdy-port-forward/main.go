// spdy-port-forward forwards one local port to a pod's port through `pods/portforward` over SPDY,
// with client-go's own port-forward client (the code `kubectl port-forward` runs when WebSockets
// are off). @kubernetes/client-node speaks only the WebSocket protocol, so the end-to-end tests
// need this to prove the SPDY path of the API server and the process kubelet carries data.
//
// Usage:
//
//	spdy-port-forward --kubeconfig FILE --namespace NS --pod POD --address 127.0.0.x --port 2379
//
// It prints "Forwarding from <address>:<local port> -> <port>" once ready and runs until killed.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	namespace := flag.String("namespace", "", "the pod's namespace")
	pod := flag.String("pod", "", "the pod's name")
	address := flag.String("address", "127.0.0.1", "local address to listen on")
	port := flag.Int("port", 0, "the pod's port")
	flag.Parse()
	if *kubeconfig == "" || *namespace == "" || *pod == "" || *port == 0 {
		log.Fatal("--kubeconfig, --namespace, --pod and --port are required")
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	transport, upgrader, err := spdy.RoundTripperFor(config)
	if err != nil {
		log.Fatal(err)
	}
	target, err := url.Parse(fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s/portforward",
		config.Host, url.PathEscape(*namespace), url.PathEscape(*pod)))
	if err != nil {
		log.Fatal(err)
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, target)
	stop := make(chan struct{})
	ready := make(chan struct{})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		close(stop)
	}()
	forwarder, err := portforward.NewOnAddresses(dialer, []string{*address},
		[]string{fmt.Sprintf("0:%d", *port)}, stop, ready, os.Stdout, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	if err := forwarder.ForwardPorts(); err != nil {
		log.Fatal(err)
	}
}
