{{/* Names and labels shared by every template. */}}

{{- define "ci-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ci-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "ci-agent.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "ci-agent.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "ci-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ci-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ci-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "ci-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ include "ci-agent.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ci-agent
{{- end }}

{{- define "ci-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ci-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ci-agent.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag | trunc 63 }}
{{- end }}

{{- define "ci-agent.secretStoreName" -}}
{{- default (include "ci-agent.fullname" .) .Values.externalSecrets.secretStore.name }}
{{- end }}

{{/* The Secret that holds DATABASE_URL, or nothing when the database is not configured. */}}
{{- define "ci-agent.databaseSecret" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else if and .Values.externalSecrets.enabled .Values.database.secretArn }}
{{- printf "%s-database" (include "ci-agent.fullname" .) }}
{{- end }}
{{- end }}

{{/* The Secret whose pgpass key is the database passfile: the one External Secrets builds
(an existing Secret brings its own DATABASE_URL, with or without a password). */}}
{{- define "ci-agent.databasePassfileSecret" -}}
{{- if and .Values.externalSecrets.enabled .Values.database.secretArn (not .Values.database.existingSecret) }}
{{- printf "%s-database" (include "ci-agent.fullname" .) }}
{{- end }}
{{- end }}

{{/* Where the database passfile is mounted; DATABASE_URL's passfile parameter names it. */}}
{{- define "ci-agent.databasePassfile" -}}
/etc/ciagent/database/pgpass
{{- end }}

{{- define "ci-agent.apiKeysSecret" -}}
{{- if .Values.apiKeys.existingSecret }}
{{- .Values.apiKeys.existingSecret }}
{{- else if and .Values.externalSecrets.enabled .Values.apiKeys.secretArn }}
{{- printf "%s-api-keys" (include "ci-agent.fullname" .) }}
{{- end }}
{{- end }}

{{/* Redis (the answer cache) is on when its URL secret is configured. */}}
{{- define "ci-agent.redisSecret" -}}
{{- if .Values.redis.existingSecret }}
{{- .Values.redis.existingSecret }}
{{- else if and .Values.externalSecrets.enabled .Values.redis.urlSecretArn }}
{{- printf "%s-redis" (include "ci-agent.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The pod template, shared by the Deployment and the Argo Rollouts Rollout so that switching
rollouts.enabled never changes what runs.
*/}}
{{- define "ci-agent.podTemplate" -}}
metadata:
  labels:
    {{- include "ci-agent.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/version: {{ include "ci-agent.imageTag" . | quote }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Restart the pods when the configuration changes.
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "ci-agent.serviceAccountName" . }}
  # The service never talks to the Kubernetes API; IRSA injects its own projected token.
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: ciagent
      image: "{{ .Values.image.repository }}:{{ include "ci-agent.imageTag" . }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - serve
        {{- if not (include "ci-agent.apiKeysSecret" .) }}
        # No API keys configured: only acceptable behind a private ingress in a throwaway stack.
        - --insecure-no-auth
        {{- end }}
      envFrom:
        - configMapRef:
            name: {{ include "ci-agent.fullname" . }}
      env:
        {{- with include "ci-agent.databaseSecret" . }}
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: DATABASE_URL
        {{- end }}
        {{- with include "ci-agent.redisSecret" . }}
        - name: REDIS_URL
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: REDIS_URL
        {{- end }}
        {{- if include "ci-agent.apiKeysSecret" . }}
        - name: CIAGENT_API_KEYS_FILE
          value: /etc/ciagent/api-keys/keys
        {{- end }}
        - name: GOMEMLIMIT
          valueFrom:
            resourceFieldRef:
              resource: limits.memory
              divisor: "1"
        {{- with .Values.config.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.config.port }}
          protocol: TCP
      startupProbe:
        httpGet:
          path: {{ .Values.probes.startup.path }}
          port: http
        periodSeconds: {{ .Values.probes.startup.periodSeconds }}
        failureThreshold: {{ .Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: {{ .Values.probes.liveness.path }}
          port: http
        periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: {{ .Values.probes.readiness.path }}
          port: http
        periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ .Values.preStopSleepSeconds }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: spool
          mountPath: {{ .Values.spool.mountPath }}
        - name: tmp
          mountPath: /tmp
        {{- if include "ci-agent.apiKeysSecret" . }}
        - name: api-keys
          mountPath: /etc/ciagent/api-keys
          readOnly: true
        {{- end }}
        {{- if include "ci-agent.databasePassfileSecret" . }}
        # A directory, not a subPath: only a directory mount sees the kubelet's updates.
        - name: database-passfile
          mountPath: {{ include "ci-agent.databasePassfile" . | dir }}
          readOnly: true
        {{- end }}
  volumes:
    - name: spool
      {{- if .Values.spool.existingClaim }}
      persistentVolumeClaim:
        claimName: {{ .Values.spool.existingClaim }}
      {{- else }}
      emptyDir:
        sizeLimit: {{ .Values.spool.emptyDir.sizeLimit }}
      {{- end }}
    # The root filesystem is read-only; Go's os.TempDir and gzip spill files go here.
    - name: tmp
      emptyDir:
        sizeLimit: 256Mi
    {{- with include "ci-agent.apiKeysSecret" . }}
    - name: api-keys
      secret:
        secretName: {{ . }}
        items:
          - key: keys
            path: keys
    {{- end }}
    {{- with include "ci-agent.databasePassfileSecret" . }}
    - name: database-passfile
      secret:
        secretName: {{ . }}
        defaultMode: 0440
        items:
          - key: pgpass
            path: {{ include "ci-agent.databasePassfile" $ | base }}
    {{- end }}
  {{- if .Values.topologySpread.enabled }}
  topologySpreadConstraints:
    - maxSkew: {{ .Values.topologySpread.maxSkew }}
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "ci-agent.selectorLabels" . | nindent 10 }}
    - maxSkew: {{ .Values.topologySpread.maxSkew }}
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "ci-agent.selectorLabels" . | nindent 10 }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
