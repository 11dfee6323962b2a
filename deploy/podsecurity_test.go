package deploy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
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
