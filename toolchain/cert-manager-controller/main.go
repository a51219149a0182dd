// Command cert-manager-controller runs cert-manager's controllers (v1.21 packages, pkg/ only)
// out of cluster against a kubeconfig: the part of upstream's cmd/controller (a separate Go
// module, github.com/cert-manager/cert-manager/cmd/controller, that the module proxy does not
// serve) that a test needs. Upstream's app package also imports internal/ packages of the main
// module, which a module outside github.com/cert-manager/cert-manager cannot import, so this is a
// minimal re-implementation of its Run(): build a controller.ContextFactory, construct the
// enabled controllers from controller.Known(), start the shared informer factories, run.
//
// scripts/build-cert-manager.sh builds it; test/e2e/support/certManager.ts runs it with the
// controllers a CA Issuer needs, after applying the CRDs (started before them, its informers back
// off for about 20 s).
//
// Not included: leader election, metrics/healthz/pprof servers, ACME/Vault/Venafi issuers,
// certificate-shim (Ingress/Gateway), the CertificateSigningRequest controllers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"

	// Controllers register themselves with controller.Register in init().
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// Issuer types (issuer.RegisterIssuer in init()), used by the (cluster)issuers controllers.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", "", "path to a kubeconfig (out of cluster)")
	master := flag.String("master", "", "API server URL (overrides the kubeconfig's)")
	namespace := flag.String("namespace", "", "only watch this namespace (default: all)")
	clusterResourceNamespace := flag.String("cluster-resource-namespace", "kube-system", "namespace of ClusterIssuer Secrets")
	controllers := flag.String("controllers", "*", "comma-separated controllers to run; * = all compiled in")
	featureGates := flag.String("feature-gates", "", "cert-manager feature gates, e.g. ServerSideApply=true")
	workers := flag.Int("concurrent-workers", 5, "workers per controller")
	ownerRef := flag.Bool("enable-certificate-owner-ref", false, "make the Certificate the owner of its Secret")
	qps := flag.Float64("kube-api-qps", 20, "client QPS (only without API Priority and Fairness)")
	burst := flag.Int("kube-api-burst", 50, "client burst (only without API Priority and Fairness)")
	minBackoff := flag.Duration("certificate-request-minimum-backoff-duration", time.Hour, "first delay before re-issuing after a failed CertificateRequest (upstream default 1h)")
	maxBackoff := flag.Duration("certificate-request-maximum-backoff-duration", 32*time.Hour, "maximum delay before re-issuing after failed CertificateRequests (upstream default 32h)")
	flag.Parse()

	if *featureGates != "" {
		if err := utilfeature.DefaultMutableFeatureGate.Set(*featureGates); err != nil {
			fmt.Fprintln(os.Stderr, "--feature-gates:", err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = logf.NewContext(ctx, klog.Background(), "cert-manager")
	if err := run(ctx, *kubeconfig, *master, *namespace, *clusterResourceNamespace, *controllers, *workers, *ownerRef, float32(*qps), *burst, *minBackoff, *maxBackoff); err != nil {
		klog.ErrorS(err, "cert-manager controller stopped")
		klog.Flush()
		os.Exit(1)
	}
	klog.Flush()
}

func run(rootCtx context.Context, kubeconfig, master, namespace, clusterResourceNamespace, controllers string, workers int, ownerRef bool, qps float32, burst int, minBackoff, maxBackoff time.Duration) error {
	log := logf.FromContext(rootCtx)
	known := controller.Known()
	var enabled []string
	if controllers == "*" {
		for name := range known {
			enabled = append(enabled, name)
		}
	} else {
		for _, name := range strings.Split(controllers, ",") {
			if _, ok := known[name]; !ok {
				return fmt.Errorf("unknown controller %q (known: %v)", name, keys(known))
			}
			enabled = append(enabled, name)
		}
	}
	sort.Strings(enabled)
	log.Info("enabled controllers", "controllers", enabled)

	factory, err := controller.NewContextFactory(rootCtx, controller.ContextOptions{
		Kubeconfig:         kubeconfig,
		APIServerHost:      master,
		KubernetesAPIQPS:   qps,
		KubernetesAPIBurst: burst,
		Namespace:          namespace,
		IssuerOptions: controller.IssuerOptions{
			ClusterResourceNamespace: clusterResourceNamespace,
		},
		CertificateOptions: controller.CertificateOptions{
			EnableOwnerRef: ownerRef,
			// Upstream's flag defaults (cert-manager-controller --help).
			CopiedAnnotationPrefixes:                 []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"},
			CertificateRequestMinimumBackoffDuration: minBackoff,
			CertificateRequestMaximumBackoffDuration: maxBackoff,
		},
	})
	if err != nil {
		return err
	}
	base, err := factory.Build()
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(rootCtx)
	for _, name := range enabled {
		if namespace != "" && name == "clusterissuers" {
			continue
		}
		iface, err := known[name](factory)
		if err != nil {
			return fmt.Errorf("constructing controller %s: %w", name, err)
		}
		g.Go(func() error {
			log.Info("starting controller", "controller", name)
			return iface.Run(workers, ctx)
		})
	}
	// The informers the controllers asked for while being constructed.
	base.SharedInformerFactory.Start(ctx.Done())
	base.KubeSharedInformerFactory.Start(ctx.Done())
	base.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	err = g.Wait()
	base.HTTP01ResourceMetadataInformersFactory.Shutdown()
	base.KubeSharedInformerFactory.Shutdown()
	base.SharedInformerFactory.Shutdown()
	return err
}

func keys(m map[string]controller.Constructor) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
