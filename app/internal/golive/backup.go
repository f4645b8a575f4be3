package golive

import (
	"encoding/json"
	"time"
)

// CheckBackups judges `aws rds describe-db-instances` and `aws rds describe-db-snapshots
// --snapshot-type automated` of the instance: automated backups on, point-in-time restore
// reaching within maxRestoreLag of now, and an available automated snapshot newer than
// maxSnapshotAge. Those are what a restore (docs/runbooks/restore-from-backup.md) starts from.
func CheckBackups(instances, snapshots []byte, now time.Time, maxRestoreLag, maxSnapshotAge time.Duration) Result {
	const name = "latest backup restorable"
	var di struct {
		DBInstances []struct {
			DBInstanceIdentifier  string     `json:"DBInstanceIdentifier"`
			DBInstanceStatus      string     `json:"DBInstanceStatus"`
			BackupRetentionPeriod int        `json:"BackupRetentionPeriod"`
			LatestRestorableTime  *time.Time `json:"LatestRestorableTime"`
		} `json:"DBInstances"`
	}
	if err := json.Unmarshal(instances, &di); err != nil {
		return fail(name, "reading describe-db-instances: %v", err)
	}
	if len(di.DBInstances) != 1 {
		return fail(name, "describe-db-instances returned %d instances; want 1", len(di.DBInstances))
	}
	inst := di.DBInstances[0]
	switch {
	case inst.BackupRetentionPeriod == 0:
		return fail(name, "%s: automated backups are off", inst.DBInstanceIdentifier)
	case inst.LatestRestorableTime == nil:
		return fail(name, "%s: no restorable time yet (status %s)", inst.DBInstanceIdentifier, inst.DBInstanceStatus)
	case now.Sub(*inst.LatestRestorableTime) > maxRestoreLag:
		return fail(name, "%s: latest restorable time %s is %s old; want under %s", inst.DBInstanceIdentifier,
			inst.LatestRestorableTime.UTC().Format(time.RFC3339), now.Sub(*inst.LatestRestorableTime).Round(time.Minute), maxRestoreLag)
	}

	var ds struct {
		DBSnapshots []struct {
			DBSnapshotIdentifier string     `json:"DBSnapshotIdentifier"`
			Status               string     `json:"Status"`
			SnapshotCreateTime   *time.Time `json:"SnapshotCreateTime"`
		} `json:"DBSnapshots"`
	}
	if err := json.Unmarshal(snapshots, &ds); err != nil {
		return fail(name, "reading describe-db-snapshots: %v", err)
	}
	var newest *time.Time
	var newestID string
	for _, s := range ds.DBSnapshots {
		if s.Status != "available" || s.SnapshotCreateTime == nil {
			continue
		}
		if newest == nil || s.SnapshotCreateTime.After(*newest) {
			newest, newestID = s.SnapshotCreateTime, s.DBSnapshotIdentifier
		}
	}
	if newest == nil {
		return fail(name, "%s: no available automated snapshot", inst.DBInstanceIdentifier)
	}
	if age := now.Sub(*newest); age > maxSnapshotAge {
		return fail(name, "%s: newest snapshot %s is %s old; want under %s", inst.DBInstanceIdentifier, newestID, age.Round(time.Minute), maxSnapshotAge)
	}
	return pass(name, "%s: PITR to %s ago, snapshot %s %s old, retention %d days", inst.DBInstanceIdentifier,
		now.Sub(*inst.LatestRestorableTime).Round(time.Second), newestID, now.Sub(*newest).Round(time.Minute), inst.BackupRetentionPeriod)
}

// CheckSmoke judges the public API's answer to a real explain request: 200 and a category.
func CheckSmoke(status int, body []byte) Result {
	const name = "API answers /v1/ci/explain"
	if status != 200 {
		return fail(name, "status %d: %.120s", status, body)
	}
	var ans struct {
		ID       string `json:"id"`
		Category string `json:"category"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.Category == "" || ans.ID == "" {
		return fail(name, "200 without id and category: %.120s", body)
	}
	return pass(name, "category %s, id %s", ans.Category, ans.ID)
}
