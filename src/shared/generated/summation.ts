import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { SumTwoNumbersRequest as _summationPackage_SumTwoNumbersRequest, SumTwoNumbersRequest__Output as _summationPackage_SumTwoNumbersRequest__Output } from './summationPackage/SumTwoNumbersRequest';
import type { SumTwoNumbersResponse as _summationPackage_SumTwoNumbersResponse, SumTwoNumbersResponse__Output as _summationPackage_SumTwoNumbersResponse__Output } from './summationPackage/SumTwoNumbersResponse';
import type { SummationClient as _summationPackage_SummationClient, SummationDefinition as _summationPackage_SummationDefinition } from './summationPackage/Summation';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  summationPackage: {
    SumTwoNumbersRequest: MessageTypeDefinition<_summationPackage_SumTwoNumbersRequest, _summationPackage_SumTwoNumbersRequest__Output>
    SumTwoNumbersResponse: MessageTypeDefinition<_summationPackage_SumTwoNumbersResponse, _summationPackage_SumTwoNumbersResponse__Output>
    Summation: SubtypeConstructor<typeof grpc.Client, _summationPackage_SummationClient> & { service: _summationPackage_SummationDefinition }
  }
}

