package deploy

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// The namespace enforces the restricted Pod Security level, so the API
// server refuses a pod of ours that asks for more than it needs (root, a
// capability, privilege escalation, no syscall filter). The admission
// plugin's own checks run here on every pod template, at the version the
// namespace pins, so a manifest the API server would refuse fails this
// test first, not a rollout.
func TestPodsMeetTheNamespacesPodSecurityLevel(t *testing.T) {
	objs := loadManifests(t)
	var ns *corev1.Namespace
	for _, o := range objs {
		if n, ok := o.obj.(*corev1.Namespace); ok && n.Name == "mosaic" {
			ns = n
		}
	}
	if ns == nil {
		t.Fatal("no Namespace mosaic in k8s/")
	}
	enforce := ns.Labels[psaapi.EnforceLevelLabel]
	if enforce != string(psaapi.LevelRestricted) {
		t.Fatalf("namespace mosaic: %s=%q, want %q", psaapi.EnforceLevelLabel, enforce, psaapi.LevelRestricted)
	}
	version, err := psaapi.ParseVersion(ns.Labels[psaapi.EnforceVersionLabel])
	if err != nil {
		t.Fatalf("namespace mosaic: %s: %v", psaapi.EnforceVersionLabel, err)
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lv := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: version}
	ws := workloads(objs)
	if len(ws) == 0 {
		t.Fatal("no workloads in k8s/")
	}
	for _, w := range ws {
		for _, r := range eval.EvaluatePod(lv, &w.template.ObjectMeta, &w.template.Spec) {
			if !r.Allowed {
				t.Errorf("%s %s: %s: %s", w.kind, w.name, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
	}
}

// Every pod is selected by a NetworkPolicy, which makes what it does not
// list unreachable: a pod of the cluster may reach no port of ours it has
// no business with (the registry above all, where a pod that can write
// becomes a downstream instance). And no pod mounts a service account
// token: none of ours calls the Kubernetes API, so a pod taken over gets
// no credentials with it.
func TestEveryPodIsFencedAndHoldsNoToken(t *testing.T) {
	objs := loadManifests(t)
	var policies []*networkingv1.NetworkPolicy
	for _, o := range objs {
		if p, ok := o.obj.(*networkingv1.NetworkPolicy); ok {
			policies = append(policies, p)
		}
	}
	for _, w := range workloads(objs) {
		fenced := false
		for _, p := range policies {
			if selects(p.Spec.PodSelector.MatchLabels, w.template.Labels) && slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
				fenced = true
			}
		}
		if !fenced {
			t.Errorf("%s %s: no NetworkPolicy selects its pods: any pod of the cluster may reach every port", w.kind, w.name)
		}
		if a := w.template.Spec.AutomountServiceAccountToken; a == nil || *a {
			t.Errorf("%s %s: automountServiceAccountToken is not false", w.kind, w.name)
		}
	}
}
