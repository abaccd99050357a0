{{/* Names: the release's objects are <release>-agentpack unless the release is named agentpack. */}}
{{- define "agentpack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agentpack.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object the chart renders. */}}
{{- define "agentpack.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "agentpack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentpack
{{- end -}}

{{/* Selector labels of one component: include "agentpack.selectorLabels" (list . "server") */}}
{{- define "agentpack.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "agentpack.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* A component's labels: the common ones, its selector labels, and the level of what it holds. */}}
{{- define "agentpack.componentLabels" -}}
{{- $root := index . 0 -}}
{{ include "agentpack.labels" $root }}
app.kubernetes.io/component: {{ index . 1 }}
agentpack.io/classification: {{ $root.Values.global.classification }}
{{- end -}}

{{- define "agentpack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "agentpack.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image reference: include "agentpack.image" (list REGISTRY-URL DEFAULT-PATH IMAGE-VALUES DEFAULT-TAG) */}}
{{- define "agentpack.image" -}}
{{- $registry := index . 0 -}}
{{- $path := index . 1 -}}
{{- $image := index . 2 -}}
{{- $repository := $image.repository | default (printf "%s/%s" $registry $path) -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (toString ($image.tag | default (index . 3))) -}}
{{- end -}}
{{- end -}}

{{- define "agentpack.serverImage" -}}
{{- include "agentpack.image" (list .Values.registry.url "agentpack/agentpack" .Values.image .Chart.AppVersion) -}}
{{- end -}}

{{- define "agentpack.postgresImage" -}}
{{- include "agentpack.image" (list .Values.registry.url "library/postgres" .Values.postgresql.image "17") -}}
{{- end -}}

{{/* The classification levels that get a namespace: the lowest up to global.classification. */}}
{{- define "agentpack.levels" -}}
{{- $levels := list -}}
{{- $done := false -}}
{{- range .Values.global.classificationLevels -}}
{{- if not $done -}}
{{- $levels = append $levels . -}}
{{- end -}}
{{- if eq . $.Values.global.classification -}}
{{- $done = true -}}
{{- end -}}
{{- end -}}
{{- toJson $levels -}}
{{- end -}}

{{/* The Secret and key that hold the metadata database's URL. */}}
{{- define "agentpack.databaseSecret" -}}
{{- if eq .Values.database.type "external" -}}
{{- .Values.database.external.existingSecret -}}
{{- else -}}
{{- printf "%s-postgresql" (include "agentpack.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "agentpack.databaseKey" -}}
{{- if eq .Values.database.type "external" -}}{{ .Values.database.external.key }}{{- else -}}database-url{{- end -}}
{{- end -}}

{{- define "agentpack.blobsUrl" -}}
{{- .Values.blobs.oci.url | default (printf "oci://%s/agentpack/blobs" .Values.registry.url) -}}
{{- end -}}

{{- define "agentpack.publicUrl" -}}
{{- if .Values.server.publicUrl -}}
{{- .Values.server.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s/" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) .Values.ingress.host -}}
{{- else -}}
{{- printf "http://%s.%s.svc:%v/" (include "agentpack.fullname" .) .Release.Namespace .Values.service.port -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the server and its jobs: the database URL from its Secret, writable
     XDG folders under the scratch volume (the root file system is read-only), the tier. */}}
{{- define "agentpack.env" -}}
- name: AGENTPACK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "agentpack.databaseSecret" . }}
      key: {{ include "agentpack.databaseKey" . }}
- name: HOME
  value: /var/lib/agentpack/home
- name: XDG_CONFIG_HOME
  value: /var/lib/agentpack/home/.config
- name: XDG_CACHE_HOME
  value: /var/lib/agentpack/home/.cache
- name: XDG_DATA_HOME
  value: /var/lib/agentpack/home/.local/share
- name: TMPDIR
  value: /tmp
- name: AGENTPACK_TIER
  value: {{ .Values.global.tier | quote }}
- name: AGENTPACK_CONNECTIVITY
  value: {{ .Values.global.connectivity | quote }}
- name: AGENTPACK_CLASSIFICATION
  value: {{ .Values.global.classification | quote }}
{{- end -}}

{{/* The scratch volumes of a pod whose root file system is read-only. */}}
{{- define "agentpack.scratchVolumes" -}}
- name: scratch
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end -}}

{{- define "agentpack.scratchMounts" -}}
- name: scratch
  mountPath: /var/lib/agentpack
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* DNS: the cluster's resolver in kube-system only (one peer: namespace AND pod), TCP for long answers. */}}
{{- define "agentpack.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{/* An ipBlock peer for CIDR that never covers the cluster's own pod and service ranges. */}}
{{- define "agentpack.ipBlock" -}}
{{- $cidr := index . 0 -}}
{{- $cluster := index . 1 -}}
- ipBlock:
    cidr: {{ $cidr }}
    {{- $except := list -}}
    {{- range $cluster -}}
    {{- if include "agentpack.cidrWithin" (list $cidr .) -}}
    {{- fail (printf "%s lies inside the cluster's range %s (networking.clusterCIDRs): an address range there would reach pods across namespace boundaries" $cidr .) -}}
    {{- end -}}
    {{- if include "agentpack.cidrWithin" (list . $cidr) -}}
    {{- $except = append $except . -}}
    {{- end -}}
    {{- end -}}
    {{- if $except }}
    except:
      {{- toYaml $except | nindent 6 }}
    {{- end }}
{{- end -}}

{{/* "true" when CIDR (index . 0) lies inside CIDR (index . 1), IPv4 only; empty otherwise. An
     except entry must lie inside its ipBlock's cidr, or the API server refuses the policy. */}}
{{- define "agentpack.cidrWithin" -}}
{{- $inner := splitList "/" (index . 0) -}}
{{- $outer := splitList "/" (index . 1) -}}
{{- if and (eq (len $inner) 2) (eq (len $outer) 2) (not (contains ":" (index . 0))) (not (contains ":" (index . 1))) -}}
{{- $innerBits := atoi (index $inner 1) -}}
{{- $outerBits := atoi (index $outer 1) -}}
{{- if ge $innerBits $outerBits -}}
{{- $a := splitList "." (index $inner 0) -}}
{{- $b := splitList "." (index $outer 0) -}}
{{- $x := add (mul (atoi (index $a 0)) 16777216) (mul (atoi (index $a 1)) 65536) (mul (atoi (index $a 2)) 256) (atoi (index $a 3)) -}}
{{- $y := add (mul (atoi (index $b 0)) 16777216) (mul (atoi (index $b 1)) 65536) (mul (atoi (index $b 2)) 256) (atoi (index $b 3)) -}}
{{- $size := 1 -}}
{{- range until (sub 32 $outerBits | int) -}}{{- $size = mul $size 2 -}}{{- end -}}
{{- if eq (div $x $size) (div $y $size) -}}true{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
