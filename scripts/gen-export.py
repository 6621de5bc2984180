#!/usr/bin/env python3
"""Generate a realistic `kubectl get -A -o json` cluster export, deterministic
by seed and size, as one JSON List, as a folder of multi-document YAML, or
as one YAML List (as `kubectl get -A -o yaml` writes it).

The mix follows real clusters: most objects are Pods (with managedFields and
status, and what admission adds to their template: a node, the default
tolerations, and a service account token volume with a generated name,
mounted in every container) and their ReplicaSets and Deployments, then
Services, ServiceAccounts, ConfigMaps, Secrets, PodDisruptionBudgets,
Ingresses, RBAC (Roles and RoleBindings), NetworkPolicies, and Namespaces
with Pod Security labels. About one workload in five has a violation of some
kind (privileged, host namespaces, missing security context, hostPath...).

    scripts/gen-export.py --resources 100000 --seed 1 -o export.json
    scripts/gen-export.py --resources 10000 --format yaml -o export-dir/
    scripts/gen-export.py --resources 10000 --format yaml-list -o export.yaml
"""

import argparse
import hashlib
import json
import os
import random


def uid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def ts(rng):
    return "2026-%02d-%02dT%02d:%02d:%02dZ" % (
        rng.randint(1, 11), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))


IMAGES = ["nginx:1.27.2", "redis:7.4.1", "python:3.12-slim", "node:22-alpine",
          "gcr.io/distroless/static:nonroot", "registry.example.com/team/api:2.3.1",
          "quay.io/prometheus/node-exporter:v1.8.2", "busybox", "envoyproxy/envoy:v1.31.2"]
LEVELS = ["restricted", "baseline", "privileged", None]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.namespaces = []

    def meta(self, name, ns, labels=None, owner=None, annotations=None, kind=None):
        r = self.rng
        m = {
            "creationTimestamp": ts(r),
            "generation": r.randint(1, 9) if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet") else None,
            "labels": labels or {},
            "name": name,
            "namespace": ns,
            "resourceVersion": str(r.randint(1000, 99999999)),
            "uid": uid(r),
        }
        if annotations:
            m["annotations"] = annotations
        if owner:
            m["ownerReferences"] = [{
                "apiVersion": owner[0], "blockOwnerDeletion": True, "controller": True,
                "kind": owner[1], "name": owner[2], "uid": owner[3]}]
        m["managedFields"] = [{
            "apiVersion": "v1", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, **{f"f:{k}": {} for k in (labels or {})}}},
                         "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {},
                                    "f:ports": {}, "f:resources": {}, "f:terminationMessagePath": {}}}}},
            "manager": self.rng.choice(["kube-controller-manager", "kubectl-client-side-apply", "helm"]),
            "operation": "Update", "time": ts(r)}]
        return {k: v for k, v in m.items() if v is not None}

    def container(self, name, bad):
        r = self.rng
        c = {
            "image": r.choice(IMAGES),
            "imagePullPolicy": "IfNotPresent",
            "name": name,
            "ports": [{"containerPort": r.choice([80, 8080, 6379, 9090]), "name": "http", "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        }
        if not bad:
            c["securityContext"] = {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 1000,
                "seccompProfile": {"type": "RuntimeDefault"}}
            c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                                  "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3, "successThreshold": 1}
            c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"},
                                   "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3, "successThreshold": 1}
        else:
            kind = r.choice(["privileged", "none", "caps", "root"])
            if kind == "privileged":
                c["securityContext"] = {"privileged": True}
            elif kind == "caps":
                c["securityContext"] = {"capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]}}
            elif kind == "root":
                c["securityContext"] = {"runAsUser": 0}
        return c

    def pod_spec(self, app, bad):
        r = self.rng
        spec = {
            "containers": [self.container("app", bad)] + ([self.container("sidecar", False)] if r.random() < 0.3 else []),
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": app,
            "terminationGracePeriodSeconds": 30,
        }
        if not bad:
            spec["securityContext"] = {"fsGroup": 1000, "runAsNonRoot": True,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
        elif r.random() < 0.3:
            spec["hostNetwork"] = True
        elif r.random() < 0.3:
            spec["volumes"] = [{"hostPath": {"path": "/var/log", "type": ""}, "name": "logs"}]
        return spec

    def admitted(self, spec):
        """A Pod's spec as the API server stores it: its template's, plus
        what admission adds (a node, the default tolerations, and the
        service account token volume, whose name ends in a generated
        suffix, mounted in every container)."""
        r = self.rng
        token = "kube-api-access-" + "".join(r.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": token, "readOnly": True}
        return {
            **spec,
            "containers": [{**c, "volumeMounts": c.get("volumeMounts", []) + [mount]} for c in spec["containers"]],
            "nodeName": "node-%d" % r.randint(1, 200),
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "serviceAccount": spec["serviceAccountName"],
            "tolerations": spec.get("tolerations", []) + [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}],
            "volumes": spec.get("volumes", []) + [{"name": token, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}]}}],
        }

    def status(self):
        r = self.rng
        return {
            "conditions": [{"lastProbeTime": None, "lastTransitionTime": ts(r), "status": "True", "type": t}
                           for t in ["Initialized", "Ready", "ContainersReady", "PodScheduled"]],
            "containerStatuses": [{"containerID": "containerd://" + "%064x" % r.getrandbits(256),
                                   "image": "docker.io/library/nginx:1.27.2",
                                   "imageID": "docker.io/library/nginx@sha256:" + "%064x" % r.getrandbits(256),
                                   "lastState": {}, "name": "app", "ready": True, "restartCount": r.randint(0, 3),
                                   "started": True, "state": {"running": {"startedAt": ts(r)}}}],
            "hostIP": "10.0.%d.%d" % (r.randint(0, 255), r.randint(1, 254)),
            "phase": "Running",
            "podIP": "10.244.%d.%d" % (r.randint(0, 255), r.randint(1, 254)),
            "qosClass": "Burstable",
            "startTime": ts(r),
        }

    def app(self, ns, i, out, budget):
        """One application: Deployment, ReplicaSet, Pods, and its satellites."""
        r = self.rng
        name = f"app-{i}"
        labels = {"app": name, "app.kubernetes.io/name": name}
        bad = r.random() < 0.2
        replicas = r.choice([1, 2, 2, 3, 3, 5])
        dep_uid = uid(r)
        spec = self.pod_spec(name, bad)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {**self.meta(name, ns, labels, kind="Deployment"), "uid": dep_uid},
               "spec": {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                        "selector": {"matchLabels": {"app": name}},
                        "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
                        "template": {"metadata": {"labels": labels}, "spec": spec}},
               "status": {"availableReplicas": replicas, "observedGeneration": 2, "readyReplicas": replicas,
                          "replicas": replicas, "updatedReplicas": replicas}}
        rs_name = f"{name}-{hashlib.md5(name.encode()).hexdigest()[:10]}"
        rs_uid = uid(r)
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {**self.meta(rs_name, ns, labels, ("apps/v1", "Deployment", name, dep_uid), kind="ReplicaSet"), "uid": rs_uid},
              "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                       "template": {"metadata": {"labels": labels}, "spec": spec}},
              "status": {"availableReplicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas, "replicas": replicas}}
        out.append(dep)
        out.append(rs)
        for k in range(replicas):
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": self.meta(f"{rs_name}-{'%05x' % r.getrandbits(20)}", ns, labels,
                                         ("apps/v1", "ReplicaSet", rs_name, rs_uid), kind="Pod"),
                   "spec": self.admitted(spec),
                   "status": self.status()}
            out.append(pod)
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": self.meta(name, ns, labels),
                    "spec": {"clusterIP": "10.96.%d.%d" % (r.randint(0, 255), r.randint(1, 254)),
                             "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                             "selector": {"app": name}, "sessionAffinity": "None",
                             "type": "LoadBalancer" if r.random() < 0.05 else "ClusterIP"},
                    "status": {"loadBalancer": {}}})
        out.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self.meta(name, ns, labels)})
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.meta(f"{name}-config", ns, labels),
                    "data": {"LOG_LEVEL": "info", "app.properties": "feature.x=true\nfeature.y=false\n" * r.randint(1, 20)}})
        if r.random() < 0.7:
            out.append({"apiVersion": "v1", "kind": "Secret", "metadata": self.meta(f"{name}-secret", ns, labels),
                        "type": "Opaque", "data": {"password": "c2VjcmV0LXBhc3N3b3Jk", "token": "dG9rZW4tdmFsdWU="}})
        if replicas > 1 and r.random() < 0.6:
            out.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": self.meta(name, ns, labels),
                        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}},
                        "status": {"currentHealthy": replicas, "desiredHealthy": replicas - 1, "disruptionsAllowed": 1,
                                   "expectedPods": replicas, "observedGeneration": 1}})
        if r.random() < 0.2:
            out.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": self.meta(name, ns, labels),
                        "spec": {"ingressClassName": "nginx",
                                 "rules": [{"host": f"{name}.example.com", "http": {"paths": [{"backend": {"service": {"name": name, "port": {"number": 80}}}, "path": "/", "pathType": "Prefix"}]}}],
                                 **({"tls": [{"hosts": [f"{name}.example.com"], "secretName": f"{name}-tls"}]} if r.random() < 0.7 else {})}})
        if r.random() < 0.15:
            out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": self.meta(name, ns, labels),
                        "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"] if r.random() < 0.5 else ["*"], "verbs": ["get", "list", "watch"]}]})
            out.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": self.meta(name, ns, labels),
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]})

    def namespace(self, i, out):
        r = self.rng
        ns = f"team-{i}"
        level = r.choice(LEVELS)
        labels = {"kubernetes.io/metadata.name": ns}
        if level:
            labels["pod-security.kubernetes.io/enforce"] = level
            labels["pod-security.kubernetes.io/enforce-version"] = r.choice(["latest", "v1.29", "v1.25"])
            labels["pod-security.kubernetes.io/warn"] = "restricted"
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": self.meta(ns, None, labels),
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": self.meta("default-deny", ns, {}),
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})
        if r.random() < 0.5:
            out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                        "metadata": self.meta("allow-web", ns, {}),
                        "spec": {"podSelector": {"matchLabels": {"app": "app-1"}},
                                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                                              "ports": [{"port": 8080, "protocol": "TCP"}]}],
                                 "policyTypes": ["Ingress"]}})
        return ns

    def generate(self, n):
        out = []
        ns_i = 0
        app_i = 0
        ns = None
        apps_in_ns = 0
        while len(out) < n:
            if ns is None or apps_in_ns >= 40:
                ns = self.namespace(ns_i, out)
                ns_i += 1
                apps_in_ns = 0
            self.app(ns, app_i, out, n)
            app_i += 1
            apps_in_ns += 1
        return out[:n]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--resources", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--format", choices=["json", "yaml", "yaml-list"], default="json")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    items = Gen(a.seed).generate(a.resources)
    if a.format == "json":
        with open(a.output, "w") as f:
            f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
            for i, it in enumerate(items):
                text = json.dumps(it, indent=4)
                f.write("\n".join("        " + line for line in text.split("\n")))
                f.write(",\n" if i + 1 < len(items) else "\n")
            f.write('    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
    elif a.format == "yaml-list":
        with open(a.output, "w") as f:
            f.write("apiVersion: v1\nitems:\n")
            for it in items:
                f.write(to_yaml([it], 0))
            f.write('kind: List\nmetadata:\n  resourceVersion: ""\n')
    else:
        os.makedirs(a.output, exist_ok=True)
        per_file = 500
        for start in range(0, len(items), per_file):
            with open(os.path.join(a.output, "export-%05d.yaml" % (start // per_file)), "w") as f:
                for it in items[start:start + per_file]:
                    f.write("---\n")
                    f.write(to_yaml(it, 0))


def scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if s == "" or "\n" in s or s.strip() != s or any(c in s for c in ":#{}[],&*!|>'\"%@`") or s.lower() in (
            "true", "false", "null", "yes", "no", "on", "off", "~") or s[0] in "-?" or s.replace(".", "", 1).isdigit():
        return json.dumps(s)
    return s


def to_yaml(v, indent):
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        if not v:
            return pad + "{}\n"
        for k, x in v.items():
            key = scalar(k)
            if isinstance(x, dict) and x:
                out.append(f"{pad}{key}:\n{to_yaml(x, indent + 2)}")
            elif isinstance(x, list) and x:
                out.append(f"{pad}{key}:\n{to_yaml(x, indent)}")
            elif isinstance(x, dict):
                out.append(f"{pad}{key}: {{}}\n")
            elif isinstance(x, list):
                out.append(f"{pad}{key}: []\n")
            else:
                out.append(f"{pad}{key}: {scalar(x)}\n")
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (dict, list)) and x:
                inner = to_yaml(x, indent + 2)
                out.append(f"{pad}- {inner.lstrip()}")
            else:
                out.append(f"{pad}- {scalar(x) if not isinstance(x, (dict, list)) else ('{}' if isinstance(x, dict) else '[]')}\n")
    return "".join(out)


if __name__ == "__main__":
    main()
