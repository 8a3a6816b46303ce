import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Config } from '../../../shared/config/config.js';
import { RESULT_OBJECT_PREFIX } from '../../../shared/store/result-objects.js';
import { nagName } from './nag.js';

const BUCKET_ENV = 'RESULT_BUCKET_NAME' satisfies keyof Config;
const TTL_ENV = 'RESULT_LINK_TTL_SECONDS' satisfies keyof Config;
const THRESHOLD_ENV = 'RESULT_LINK_THRESHOLD_BYTES' satisfies keyof Config;

export interface ResultBucketProps {
  /** How long a caller may read a linked result back (RESULT_LINK_TTL_SECONDS). @default one hour */
  retention?: Duration;
  /** Retain the bucket on delete. @default false */
  retain?: boolean;
}

/**
 * Large tool results, stored for the caller that made the call to read back (`resources/read` of a result link):
 * private (every public access blocked, bucket-owner-enforced ownership, no ACLs), encrypted at rest (S3-managed
 * keys), reachable over TLS only, never versioned, and emptied by a lifecycle rule after the retention rounded up to
 * whole days (what lifecycle rules count in); the function refuses a result past its retention to the second.
 */
export class ResultBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly retention: Duration;

  constructor(scope: Construct, id: string, props: ResultBucketProps = {}) {
    super(scope, id);
    this.retention = props.retention ?? Duration.hours(1);
    const seconds = this.retention.toSeconds();
    if (seconds < 60 || seconds > 7 * 86_400) {
      throw new Error(`ResultBucket: retention is ${seconds} s; it must be between 60 s and 7 days`);
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: false,
      lifecycleRules: [
        {
          id: 'ExpireResults',
          prefix: RESULT_OBJECT_PREFIX,
          expiration: Duration.days(Math.ceil(seconds / 86_400)),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every result stored and read is the tool call or read of an authenticated caller, audited by the function ' +
        '(resultLinked on the call audit record); objects live at most a day or so; server access logs would add a ' +
        'second bucket and log every request again.',
    });
  }

  /**
   * For the MCP function: Get and Put on `results/*` and nothing else (no List, no Delete: objects expire), and the
   * variables naming the bucket, the retention and, when given, the threshold.
   */
  bindReadWrite(fn: lambda.Function, options: { thresholdBytes?: number } = {}): void {
    fn.addEnvironment(BUCKET_ENV, this.bucket.bucketName);
    fn.addEnvironment(TTL_ENV, String(this.retention.toSeconds()));
    if (options.thresholdBytes !== undefined) fn.addEnvironment(THRESHOLD_ENV, String(options.thresholdBytes));
    const objects = this.bucket.arnForObjects(`${RESULT_OBJECT_PREFIX}*`);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteLargeResults',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [objects],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagName(this, objects)}]`,
        reason:
          'Results are stored one object per call under the results/ prefix, named by an id drawn at the call, so ' +
          'the prefix needs a trailing wildcard; the function may Get and Put there and nothing else of the bucket.',
      });
    }
  }
}
