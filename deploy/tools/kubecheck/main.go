// kubecheck checks Kubernetes manifests (a multi-document YAML stream on stdin, e.g. the output of
// `kustomize build`) against the Kubernetes API's own Go types: each object of a built-in kind is
// decoded strictly, so an unknown or misspelt field, a wrong type or a bad quantity fails, as the
// API server would reject it. Kinds it has no types for (operators' resources) are listed on
// stderr as unchecked. It exits 1 on the first invalid object.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func typed(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}
	case "batch/v1/Job":
		return &batchv1.Job{}
	case "v1/Service":
		return &corev1.Service{}
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}
	case "v1/Secret":
		return &corev1.Secret{}
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}
	}
	return nil
}

func main() {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	checked := 0
	for {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(err)
		}
		if len(bytes.TrimSpace(document)) == 0 {
			continue
		}
		var meta typeMeta
		if err := yaml.Unmarshal(document, &meta); err != nil {
			fail(err)
		}
		if meta.APIVersion == "" || meta.Kind == "" || meta.Metadata.Name == "" {
			fail(fmt.Errorf("an object without apiVersion, kind or metadata.name:\n%s", document))
		}
		target := typed(meta.APIVersion, meta.Kind)
		if target == nil {
			fmt.Fprintf(os.Stderr, "unchecked: %s %s %s\n", meta.APIVersion, meta.Kind, meta.Metadata.Name)
			continue
		}
		if err := yaml.UnmarshalStrict(document, target); err != nil {
			fail(fmt.Errorf("%s %s: %w", meta.Kind, meta.Metadata.Name, err))
		}
		checked++
	}
	fmt.Printf("checked %d objects\n", checked)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kubecheck:", err)
	os.Exit(1)
}
